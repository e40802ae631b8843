package dev.finetune4j.datasets;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.FineTuneException;
import dev.finetune4j.data.DatasetOptions;
import dev.finetune4j.datasets.alpaca.AlpacaConverter;
import dev.finetune4j.datasets.json.Json;
import dev.finetune4j.datasets.json.RecordConverter;
import dev.finetune4j.datasets.llamafactory.LlamaFactoryRegistry;
import dev.finetune4j.datasets.sharegpt.ShareGptConverter;
import dev.finetune4j.datasets.siliconflow.SiliconFlowConverter;
import dev.finetune4j.datasets.text.TextConverter;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The standard dataset sources. Each returns a {@link Dataset} (a {@link dev.finetune4j.data.DatasetSource}):
 * lenient by default (bad records dropped and logged, as LLaMA-Factory); {@code .strict()} to stop at the first
 * bad record; {@code .maxSamples(n)} for the first n rows.
 * <pre>{@code
 * Datasets.siliconFlow(Path.of("data/cs.jsonl")).strict()
 * Datasets.alpaca(Path.of("alpaca_zh_demo.json")).maxSamples(100)
 * Datasets.shareGpt(Path.of("chats.jsonl"), RecordLayout.shareGpt(Tags.OPENAI).withColumns(Map.of("messages", "dialog")))
 * Datasets.llamaFactory(Path.of("data"), "identity,alpaca_en_demo")
 * }</pre>
 * A path may also name a folder: its files are read in name order (one extension for all).
 */
public final class Datasets {
    private Datasets() {
    }

    /** Alpaca: instruction, input, output, system, history (chosen/rejected make preference pairs); JSON array or JSONL. */
    public static FileDataset alpaca(Path file) {
        return alpaca(file, RecordLayout.alpaca());
    }

    /** Alpaca with other column names ({@code RecordLayout.alpaca().withColumns(Map.of("prompt", "question"))}). */
    public static FileDataset alpaca(Path file, RecordLayout layout) {
        return file(file, DatasetFormat.ALPACA, new AlpacaConverter(layout));
    }

    /**
     * ShareGPT: {@code conversations} (or {@code messages}) of {@code from}/{@code value} or {@code role}/
     * {@code content} messages (guessed per record), with {@code system} and {@code tools} columns.
     */
    public static FileDataset shareGpt(Path file) {
        return shareGpt(file, RecordLayout.shareGpt());
    }

    /** ShareGPT with custom columns and tags. */
    public static FileDataset shareGpt(Path file, RecordLayout layout) {
        return file(file, DatasetFormat.SHAREGPT, new ShareGptConverter(layout));
    }

    /** SiliconFlow fine-tuning JSONL, every rule checked (see {@link dev.finetune4j.datasets.siliconflow.SiliconFlowRule}). */
    public static FileDataset siliconFlow(Path file) {
        return file(file, DatasetFormat.SILICONFLOW, SiliconFlowConverter.INSTANCE);
    }

    /** Pre-training text: {@code .txt} one document per line, or JSON/JSONL records with a {@code text} column. */
    public static FileDataset text(Path file) {
        return text(file, "text");
    }

    /** Pre-training text from JSON/JSONL records' {@code column}. */
    public static FileDataset text(Path file, String column) {
        return file(file, DatasetFormat.TEXT, new TextConverter(column));
    }

    /** A file in a named format with the default layout of that format. */
    public static FileDataset of(Path file, DatasetFormat format) {
        return switch (format) {
            case ALPACA -> alpaca(file);
            case SHAREGPT -> shareGpt(file);
            case SILICONFLOW -> siliconFlow(file);
            case TEXT -> text(file);
        };
    }

    /** A file in the format {@link #detect} finds. */
    public static FileDataset of(Path file) {
        return of(file, detect(file));
    }

    /** LLaMA-Factory registry datasets by name ({@code "a,b"}) in {@code datasetDir/dataset_info.json}. */
    public static Dataset llamaFactory(Path datasetDir, String names) {
        return llamaFactory(datasetDir, names, DatasetOptions.DEFAULTS);
    }

    public static Dataset llamaFactory(Path datasetDir, String names, DatasetOptions options) {
        return new LlamaFactoryRegistry().open(datasetDir, List.of(names), options);
    }

    /**
     * Guesses a file's format from its first record: {@code .txt} → text; {@code instruction}/{@code output} →
     * alpaca; {@code conversations} → sharegpt; {@code messages} of role/content with only system/user/assistant
     * in a {@code .jsonl} → siliconflow, else sharegpt; {@code text} → text.
     */
    public static DatasetFormat detect(Path path) {
        List<Path> files = DataFiles.list(path);
        Path file = files.get(0);
        DataFiles.checkReadable(file);
        if (DataFiles.extension(file).equals("txt")) {
            return DatasetFormat.TEXT;
        }
        JsonNode first = firstRecord(file);
        if (first == null || !first.isObject()) {
            throw new FineTuneException(file + ": cannot tell the dataset format from its first record; give --format");
        }
        if (first.has("instruction") || first.has("output")) {
            return DatasetFormat.ALPACA;
        }
        if (first.has("conversations")) {
            return DatasetFormat.SHAREGPT;
        }
        JsonNode msgs = first.get("messages");
        if (msgs != null && msgs.isArray()) {
            boolean simple = DataFiles.extension(file).equals("jsonl") && !first.has("tools");
            for (JsonNode m : msgs) {
                String r = m.path("role").asText("");
                if (!(r.equals("system") || r.equals("user") || r.equals("assistant"))) {
                    simple = false;
                }
            }
            return simple ? DatasetFormat.SILICONFLOW : DatasetFormat.SHAREGPT;
        }
        if (first.has("text")) {
            return DatasetFormat.TEXT;
        }
        throw new FineTuneException(file + ": cannot tell the dataset format from its first record (keys "
                + Json.keys(first) + "); give --format alpaca|sharegpt|siliconflow|text");
    }

    private static JsonNode firstRecord(Path file) {
        try {
            if (dev.finetune4j.datasets.json.JsonRecordReader.startsWithArray(file)) {
                try (var p = Json.FACTORY.createParser(file.toFile())) {
                    p.nextToken();
                    if (p.nextToken() == null) {
                        return null;
                    }
                    return Json.MAPPER.readTree(p);
                }
            }
            try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (!line.isBlank()) {
                        return Json.MAPPER.readTree(line.charAt(0) == '\uFEFF' ? line.substring(1) : line);
                    }
                }
                return null;
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new FineTuneException(file + ": the first record is not valid JSON (" + e.getOriginalMessage()
                    .replace('\n', ' ') + "); give --format and run finetune validate");
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }

    private static FileDataset file(Path path, DatasetFormat format, RecordConverter converter) {
        List<Path> files = DataFiles.list(path);
        for (Path f : files) {
            DataFiles.checkReadable(f);
            if (DataFiles.extension(f).equals("txt") && format != DatasetFormat.TEXT) {
                throw new FineTuneException(f + ": a .txt file is pre-training text (one document per line); read it"
                        + " as format text, not " + format);
            }
        }
        return new FileDataset(path + " (" + format + ")", files, converter, null, List.of(), DatasetOptions.DEFAULTS);
    }
}
