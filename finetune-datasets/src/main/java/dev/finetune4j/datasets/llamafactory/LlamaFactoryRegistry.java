package dev.finetune4j.datasets.llamafactory;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.data.DatasetOptions;
import dev.finetune4j.data.DatasetRegistry;
import dev.finetune4j.datasets.Columns;
import dev.finetune4j.datasets.CombinedDataset;
import dev.finetune4j.datasets.DataFiles;
import dev.finetune4j.datasets.Dataset;
import dev.finetune4j.datasets.FileDataset;
import dev.finetune4j.datasets.RecordLayout;
import dev.finetune4j.datasets.Tags;
import dev.finetune4j.datasets.alpaca.AlpacaConverter;
import dev.finetune4j.datasets.json.RecordConverter;
import dev.finetune4j.datasets.sharegpt.ShareGptConverter;
import dev.finetune4j.datasets.text.TextConverter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LLaMA-Factory's dataset registry: names in {@code dataset_dir/dataset_info.json} → datasets (FORMATS.md A.1-A.3,
 * A.10). Local {@code file_name} entries only (file or folder, which must stay inside {@code dataset_dir}:
 * {@code ..}, absolute paths and symbolic links leading out are refused); remote-only entries fail with a clear
 * error; {@code num_samples} resamples with the options' seed; media columns of multimodal entries are ignored
 * with a notice (the text loads). Found by {@link dev.finetune4j.data.DatasetRegistries} through ServiceLoader.
 */
public final class LlamaFactoryRegistry implements DatasetRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(LlamaFactoryRegistry.class);

    @Override
    public Dataset open(Path datasetDir, List<String> names, DatasetOptions options) {
        List<String> all = splitNames(names);
        if (all.isEmpty()) {
            throw new FineTuneException("no dataset named: give one or more names of " + datasetDir.resolve(
                    DatasetInfo.FILE_NAME) + " (dataset: a,b)");
        }
        DatasetInfo info = DatasetInfo.load(datasetDir);
        List<Dataset> parts = new ArrayList<>();
        for (String n : all) {
            parts.add(open(datasetDir, info.get(n), options));
        }
        return parts.size() == 1 ? parts.get(0) : new CombinedDataset(parts, options);
    }

    /** {@code ["a,b", "c"]} → {@code [a, b, c]}. */
    public static List<String> splitNames(List<String> names) {
        List<String> out = new ArrayList<>();
        for (String s : names) {
            for (String n : s.split(",")) {
                if (!n.isBlank()) {
                    out.add(n.strip());
                }
            }
        }
        return out;
    }

    /** One entry as a dataset. */
    public static FileDataset open(Path datasetDir, DatasetEntry e, DatasetOptions options) {
        String where = "dataset '" + e.name() + "' in " + datasetDir.resolve(DatasetInfo.FILE_NAME);
        if (e.fileName() == null) {
            if (!e.remote().isEmpty()) {
                throw new FineTuneException(where + " is remote (" + String.join(", ", e.remote())
                        + "): remote datasets are not available; download it and use file_name");
            }
            throw new FineTuneException(where + " has no file_name");
        }
        if (!e.split().equals("train")) {
            throw new FineTuneException(where + ": split '" + e.split()
                    + "' does not exist for a local file (its only split is train)");
        }
        RecordConverter converter = converter(e, where);
        Path root = datasetDir;
        Path target = resolveInside(root, e.fileName(), where);
        List<Path> files = DataFiles.list(target);
        for (Path f : files) {
            checkInside(root, f, where);
            DataFiles.checkReadable(f);
        }
        List<String> notices = new ArrayList<>();
        for (String media : List.of("images", "videos", "audios")) {
            String key = e.columns().get(media);
            if (key == null) {
                continue;
            }
            notices.add("dataset '" + e.name() + "': the " + media + " column '" + key
                    + "' is not supported (finetune4j trains text-only models): its text loads with any media"
                    + " placeholders left in, and the " + media + " are ignored");
        }
        String description = e.name() + " (" + target + ", " + (e.textOnly() ? "text" : e.formatting())
                + (e.ranking() ? ", ranking" : "") + ")";
        return new FileDataset(description, files, converter, e.numSamples(), notices, options);
    }

    private static RecordConverter converter(DatasetEntry e, String where) {
        Columns columns;
        try {
            columns = Columns.LLAMA_FACTORY.with(e.columns());
        } catch (FineTuneException x) {
            throw new FineTuneException(where + ": " + x.getMessage());
        }
        switch (e.formatting()) {
            case "alpaca" -> {
                if (!e.tags().isEmpty()) {
                    LOG.warn("{}: tags are ignored for formatting alpaca", where);
                }
                if (e.textOnly()) {
                    return new TextConverter(columns.prompt());
                }
                return new AlpacaConverter(new RecordLayout(columns, null, e.ranking()));
            }
            case "sharegpt" -> {
                Tags tags;
                try {
                    tags = Tags.SHAREGPT.with(e.tags());
                } catch (FineTuneException x) {
                    throw new FineTuneException(where + ": " + x.getMessage());
                }
                return new ShareGptConverter(new RecordLayout(columns, tags, e.ranking()));
            }
            case "openai" -> throw new FineTuneException(where + ": formatting 'openai' is not supported (it rewrites"
                    + " system prompts); use formatting sharegpt with tags role_tag: role, content_tag: content,"
                    + " user_tag: user, assistant_tag: assistant, system_tag: system");
            default -> throw new FineTuneException(where + ": unknown formatting '" + e.formatting()
                    + "'; use alpaca or sharegpt");
        }
    }

    /**
     * {@code root/fileName}, refusing an absolute {@code fileName}, one that leaves {@code root} through
     * {@code ..}, and one that a symbolic link takes outside {@code root}.
     */
    public static Path resolveInside(Path root, String fileName, String where) {
        Path rel;
        try {
            rel = Path.of(fileName);
        } catch (java.nio.file.InvalidPathException x) {
            throw new FineTuneException(where + ": file_name '" + fileName + "' is not a valid path");
        }
        if (rel.isAbsolute() || fileName.startsWith("/") || fileName.startsWith("\\")) {
            throw new FineTuneException(where + ": file_name '" + fileName
                    + "' is an absolute path; it must be relative to dataset_dir " + root);
        }
        Path base = root.toAbsolutePath().normalize();
        Path p = base.resolve(rel).normalize();
        if (!p.startsWith(base)) {
            throw new FineTuneException(where + ": file_name '" + fileName + "' leads outside dataset_dir " + root
                    + "; data files must be inside it");
        }
        if (!Files.exists(p)) {
            throw new FineTuneException(where + ": file_name '" + fileName + "' does not exist in " + root);
        }
        checkInside(root, p, where);
        return p;
    }

    /** Refuses a path whose real location (symbolic links followed) is outside {@code root}. */
    static void checkInside(Path root, Path p, String where) {
        try {
            Path realRoot = root.toRealPath();
            Path real = p.toRealPath();
            if (!real.startsWith(realRoot)) {
                throw new FineTuneException(where + ": " + p + " is a symbolic link to " + real
                        + ", outside dataset_dir " + root + "; data files must be inside it");
            }
        } catch (IOException x) {
            throw new UncheckedIOException("cannot resolve " + p + ": " + x.getMessage(), x);
        }
    }
}
