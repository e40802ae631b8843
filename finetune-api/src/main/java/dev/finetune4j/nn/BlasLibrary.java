package dev.finetune4j.nn;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Which OpenBLAS this process runs its products on: the one bundled with ND4J (javacpp's {@code org.bytedeco:openblas})
 * or the machine's own, loaded with {@code -Dorg.bytedeco.openblas.load=openblas} and a {@code java.library.path} that
 * holds a {@code libopenblas.so} (what {@code FINETUNE_BLAS=system} in the {@code finetune} launcher sets up). Benchmarks
 * print it, so that a speed figure says which library it was measured with. Linux only (it reads
 * {@code /proc/self/maps}); elsewhere, and before ND4J has loaded its backend, it finds nothing.
 */
public final class BlasLibrary {
    private static final byte[] MARK = "OpenBLAS 0.".getBytes(StandardCharsets.US_ASCII);

    private BlasLibrary() {
    }

    /**
     * The loaded OpenBLAS: its version as compiled into the library, {@code OpenMP} when it was built with OpenMP threads
     * (Debian's {@code libopenblas0-openmp}; the bundled one uses its own pthreads), and the file it was mapped from,
     * e.g. {@code OpenBLAS 0.3.21 OpenMP (/…/libopenblas.so.0)}; empty when no OpenBLAS is mapped or
     * {@code /proc/self/maps} cannot be read.
     */
    public static Optional<String> describe() {
        Optional<Path> file = mappedFile();
        if (file.isEmpty()) {
            return Optional.empty();
        }
        String build = buildString(file.get()).map(b -> {
            String[] words = b.split(" ");
            return words[0] + " " + words[1] + (b.contains("USE_OPENMP") ? " OpenMP" : "");
        }).orElse("OpenBLAS (version not found)");
        return Optional.of(build + " (" + file.get() + ")");
    }

    /** The mapped {@code libopenblas_nolapack.so*} (what {@link Gemm} calls), else {@code libopenblas*.so*}. */
    static Optional<Path> mappedFile() {
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc/self/maps"));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
        Path any = null;
        for (String line : lines) {
            int slash = line.indexOf('/');
            if (slash < 0) {
                continue;
            }
            Path p = Path.of(line.substring(slash).trim());
            String name = p.getFileName().toString();
            if (!name.startsWith("libopenblas") || !name.contains(".so")) {
                continue;
            }
            if (name.startsWith("libopenblas_nolapack")) {
                return Optional.of(p);
            }
            any = any == null ? p : any;
        }
        return Optional.ofNullable(any);
    }

    /** The first {@code "OpenBLAS 0.…"} string in the library file, up to its terminating zero byte. */
    static Optional<String> buildString(Path library) {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(library), 1 << 16)) {
            int matched = 0;
            int b;
            while ((b = in.read()) >= 0) {
                if (b == (MARK[matched] & 0xff)) {
                    if (++matched == MARK.length) {
                        StringBuilder s = new StringBuilder(new String(MARK, StandardCharsets.US_ASCII));
                        while ((b = in.read()) > 0 && b < 0x7f && s.length() < 200) {
                            s.append((char) b);
                        }
                        return Optional.of(s.toString().trim());
                    }
                } else {
                    matched = b == (MARK[0] & 0xff) ? 1 : 0;
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }
}
