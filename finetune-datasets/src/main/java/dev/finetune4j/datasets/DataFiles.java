package dev.finetune4j.datasets;

import dev.finetune4j.FineTuneException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/** The data files behind a path: the file itself, or every file of a folder (one extension, in name order). */
public final class DataFiles {
    private DataFiles() {
    }

    /** The extension of a file name in lower case, without the dot ({@code ""} if none). */
    public static String extension(Path file) {
        String n = file.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? "" : n.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    /**
     * {@code path} if it is a file; the files of {@code path} in name order if it is a folder (all must share one
     * extension, no sub-folders).
     */
    public static List<Path> list(Path path) {
        if (Files.isRegularFile(path)) {
            return List.of(path);
        }
        if (!Files.isDirectory(path)) {
            throw new FineTuneException("no such file or folder: " + path);
        }
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.list(path)) {
            s.sorted().forEach(files::add);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + path + ": " + e.getMessage(), e);
        }
        if (files.isEmpty()) {
            throw new FineTuneException("folder " + path + " holds no data files");
        }
        String ext = null;
        for (Path f : files) {
            if (!Files.isRegularFile(f)) {
                throw new FineTuneException("folder " + path + " holds " + f.getFileName()
                        + ", which is not a file; a dataset folder holds only data files");
            }
            String e = extension(f);
            if (ext == null) {
                ext = e;
            } else if (!ext.equals(e)) {
                throw new FineTuneException("folder " + path + " mixes file types (." + ext + " and ." + e
                        + "); all files of a dataset folder must share one extension");
            }
        }
        return files;
    }

    /** Refuses file types no reader handles, with what to do instead. */
    public static void checkReadable(Path file) {
        String ext = extension(file);
        switch (ext) {
            case "json", "jsonl", "txt" -> {
            }
            case "csv", "parquet", "arrow" -> throw new FineTuneException(file + ": ." + ext
                    + " files are not supported; convert the data to JSON Lines (.jsonl)");
            default -> throw new FineTuneException(file + ": unsupported file type '." + ext
                    + "'; use .json (an array), .jsonl (one object per line) or .txt (one document per line)");
        }
    }
}
