package dev.finetune4j.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds the project's shared folder ({@code ../shared} next to the repository: docs, LLaMA-Factory demo
 * data, reference tokenizers). Tests that need it call {@link #require(String)}, which skips the test with
 * a clear message where the folder is absent. Override with {@code -Dfinetune4j.shared=DIR} or the
 * environment variable {@code FINETUNE4J_SHARED}.
 */
public final class SharedFixtures {
    private SharedFixtures() {
    }

    public static Optional<Path> root() {
        String configured = System.getProperty("finetune4j.shared", System.getenv("FINETUNE4J_SHARED"));
        if (configured != null && !configured.isBlank()) {
            Path p = Paths.get(configured).toAbsolutePath().normalize();
            return Files.isDirectory(p) ? Optional.of(p) : Optional.empty();
        }
        // tests run with the module folder as working directory; the repository root is above it
        Path dir = Paths.get("").toAbsolutePath();
        for (int up = 0; up < 4 && dir != null; up++, dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve(".ci")) || Files.isRegularFile(dir.resolve("ARCHITECTURE.md"))) {
                Path shared = dir.resolveSibling("shared");
                return Files.isDirectory(shared) ? Optional.of(shared) : Optional.empty();
            }
        }
        return Optional.empty();
    }

    /** The path {@code relative} inside the shared folder; skips the calling test if it is not there. */
    public static Path require(String relative) {
        Optional<Path> root = root();
        Assumptions.assumeTrue(root.isPresent(),
                "skipped: ../shared (the project's shared data folder) is absent; set -Dfinetune4j.shared=DIR");
        Path p = root.get().resolve(relative);
        Assumptions.assumeTrue(Files.exists(p), "skipped: " + p + " is absent from the shared folder");
        return p;
    }
}
