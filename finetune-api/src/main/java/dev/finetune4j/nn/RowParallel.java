package dev.finetune4j.nn;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Splits a row loop of a Java kernel (RMSNorm, SwiGLU, softmax, the loss) over the machine's cores: the caller runs
 * the first part and daemon threads the others. ND4J's BLAS already uses every core for the matrix products; the
 * Java kernels between them ran on one core while the others waited.
 *
 * <p>Threads: {@code -Dfinetune4j.kernelThreads=N}, else {@code OMP_NUM_THREADS}, else the number of processors.
 * Small loops (under {@code minRows} rows per part) run on the caller alone. The body must only write rows in its
 * own range and keep its scratch local (one call per part).
 */
public final class RowParallel {
    /** A part of a row loop: rows {@code [from, to)}. */
    @FunctionalInterface
    public interface Body {
        void run(long from, long to);
    }

    private static final int THREADS = configuredThreads();
    private static final ExecutorService POOL = THREADS > 1 ? Executors.newFixedThreadPool(THREADS - 1, r -> {
        Thread t = new Thread(r, "finetune4j-kernel");
        t.setDaemon(true);
        return t;
    }) : null;

    /** Whether this thread is running a part (nested loops then run inline instead of waiting on the pool). */
    private static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> false);

    private RowParallel() {
    }

    private static void inside(Body body, long from, long to) {
        INSIDE.set(true);
        try {
            body.run(from, to);
        } finally {
            INSIDE.set(false);
        }
    }

    /** How many threads a row loop may use. */
    public static int threads() {
        return THREADS;
    }

    private static int configuredThreads() {
        int override = Integer.getInteger("finetune4j.kernelThreads", 0);
        if (override > 0) {
            return override;
        }
        String env = System.getenv("OMP_NUM_THREADS");
        int cores = Runtime.getRuntime().availableProcessors();
        if (env != null) {
            try {
                return Math.max(1, Math.min(cores, Integer.parseInt(env.trim())));
            } catch (NumberFormatException e) {
                // fall through to the processor count
            }
        }
        return Math.max(1, cores);
    }

    /** Runs {@code body} over rows {@code [0, rows)}, in up to {@link #threads()} parts of at least {@code minRows}. */
    public static void forRows(long rows, long minRows, Body body) {
        int parts = (int) Math.min(THREADS, rows / Math.max(1, minRows));
        if (parts <= 1 || POOL == null || INSIDE.get()) {
            body.run(0, rows); // a loop inside a part runs on that part's thread
            return;
        }
        @SuppressWarnings("unchecked")
        Future<?>[] others = new Future<?>[parts - 1];
        for (int p = 1; p < parts; p++) {
            long from = rows * p / parts;
            long to = rows * (p + 1) / parts;
            others[p - 1] = POOL.submit(() -> inside(body, from, to));
        }
        Throwable failure = null;
        try {
            inside(body, 0, rows / parts);
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        for (Future<?> f : others) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = failure != null ? failure : e;
            } catch (ExecutionException e) {
                failure = failure != null ? failure : e.getCause();
            }
        }
        if (failure instanceof RuntimeException re) {
            throw re;
        }
        if (failure instanceof Error err) {
            throw err;
        }
        if (failure != null) {
            throw new IllegalStateException("a kernel thread failed", failure);
        }
    }
}
