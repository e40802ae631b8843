package dev.finetune4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** Telling which OpenBLAS build a benchmark ran on. */
class BlasLibraryTest {

    @Test
    void readsTheBuildStringOutOfALibraryFile(@TempDir Path dir) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        byte[] noise = new byte[100_000];
        new SplittableRandom(3).nextBytes(noise);
        bytes.write(noise);
        // a false start right before the real one, then the string up to its terminating zero
        bytes.write("OpenBLOpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH USE_OPENMP\0tail".getBytes(StandardCharsets.US_ASCII));
        Path lib = Files.write(dir.resolve("libopenblas.so.0"), bytes.toByteArray());
        assertEquals(Optional.of("OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH USE_OPENMP"), BlasLibrary.buildString(lib));

        Path other = Files.write(dir.resolve("libother.so"), noise);
        assertEquals(Optional.empty(), BlasLibrary.buildString(other));
    }

    @Test
    void describesTheOpenBlasNd4jLoaded() {
        assumeTrue(Files.isReadable(Path.of("/proc/self/maps")), "Linux only");
        Nd4j.create(DataType.FLOAT, 2, 2).mmul(Nd4j.create(DataType.FLOAT, 2, 2)); // the CPU backend is loaded
        String d = BlasLibrary.describe().orElseThrow();
        assertTrue(d.matches("OpenBLAS 0\\.\\d+\\.\\d+( OpenMP)? \\(/.*libopenblas.*\\.so.*\\)"), d);
    }
}
