package dev.finetune4j.train.checkpoint;

import dev.finetune4j.FineTuneException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The {@code checkpoint-N} folders of an output folder. A checkpoint is written into a hidden temporary folder
 * and renamed into place only when complete, so a checkpoint is whole or absent; {@code save_total_limit} keeps
 * the newest N.
 */
public final class CheckpointFolders {
    private static final Pattern NAME = Pattern.compile("checkpoint-(\\d+)");

    private final Path outputDir;

    public CheckpointFolders(Path outputDir) {
        this.outputDir = outputDir;
    }

    /** What writes a checkpoint's files into a folder. */
    @FunctionalInterface
    public interface Writer {
        void write(Path dir) throws IOException;
    }

    public static String name(long step) {
        return "checkpoint-" + step;
    }

    /** Writes {@code checkpoint-<step>} atomically (replacing one of the same step) and returns its path. */
    public Path save(long step, Writer writer) throws IOException {
        Files.createDirectories(outputDir);
        Path target = outputDir.resolve(name(step));
        Path tmp = Files.createTempDirectory(outputDir, "." + name(step) + ".");
        boolean done = false;
        try {
            dev.finetune4j.io.AtomicFiles.makeShareable(tmp, "rwxr-xr-x");
            writer.write(tmp);
            if (Files.exists(target)) {
                Path old = Files.createTempDirectory(outputDir, "." + name(step) + ".old.");
                Files.delete(old);
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
                move(tmp, target);
                deleteRecursively(old);
            } else {
                move(tmp, target);
            }
            done = true;
            return target;
        } finally {
            if (!done) {
                deleteRecursively(tmp);
            }
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    /** Existing complete checkpoints, oldest (lowest step) first. */
    public List<Path> list() throws IOException {
        if (!Files.isDirectory(outputDir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(outputDir)) {
            return s.filter(p -> Files.isDirectory(p) && NAME.matcher(p.getFileName().toString()).matches())
                    .sorted(Comparator.comparingLong(CheckpointFolders::step))
                    .toList();
        }
    }

    public Optional<Path> latest() throws IOException {
        List<Path> all = list();
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /** Deletes the oldest checkpoints so that at most {@code limit} remain. */
    public void rotate(int limit) throws IOException {
        List<Path> all = new ArrayList<>(list());
        while (all.size() > limit) {
            deleteRecursively(all.remove(0));
        }
    }

    /** The step number of a {@code checkpoint-N} folder. */
    public static long step(Path checkpoint) {
        Matcher m = NAME.matcher(checkpoint.getFileName().toString());
        if (!m.matches()) {
            throw new FineTuneException(checkpoint + " is not a checkpoint-N folder");
        }
        return Long.parseLong(m.group(1));
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                if (exc != null) {
                    throw new UncheckedIOException(exc);
                }
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
