package dev.finetune4j.datasets;

import dev.finetune4j.data.DatasetProblem;
import dev.finetune4j.data.Example;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Small helpers: write a file, read all examples or problems. */
final class TestFiles {
    private TestFiles() {
    }

    static Path write(Path dir, String name, String... lines) {
        try {
            Path p = dir.resolve(name);
            Files.createDirectories(p.getParent());
            Files.writeString(p, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Example> examples(Dataset d) {
        try (Stream<Example> s = d.open()) {
            return s.collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<DatasetProblem> problems(Dataset d) {
        List<DatasetProblem> out = new ArrayList<>();
        try {
            d.validate(out::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    static ValidationReport report(Dataset d) {
        try {
            return d.validate(p -> { });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
