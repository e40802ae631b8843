package dev.finetune4j.cli;

import dev.finetune4j.FineTuneResult;
import dev.finetune4j.train.StepLog;
import dev.finetune4j.train.TrainingListener;
import dev.finetune4j.train.TrainingSummary;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

/**
 * The training progress a person sees: on a terminal a bar redrawn in place (loss, learning rate, tokens/s, elapsed
 * and remaining time); elsewhere (CI logs, pipes, tests) plain lines, one each 5% of the run (and at least every
 * 30 seconds), so a log stays short and readable. Evaluation losses get a line of their own in both modes.
 *
 * <p>Hand-written rather than a progress-bar library: it is one small class, needs no terminal library (jline) on
 * the class path, and its plain mode prints exactly the numbers of {@code trainer_log.jsonl}.
 */
final class TrainingProgress implements TrainingListener {
    private static final long REDRAW_NANOS = 100_000_000L;  // a terminal bar is redrawn at most 10 times a second
    private static final long PLAIN_MAX_SILENCE_NANOS = 30_000_000_000L;
    private static final int BAR_CELLS = 24;

    private final PrintWriter out;
    private final boolean terminal;
    private final LongSupplier clock;

    private long totalSteps;
    private long startStep;
    private long startNanos;
    private long lastDrawNanos;
    private long printEvery;
    private double windowLoss;
    private int windowSteps;
    private final double[] recent = new double[10];
    private int recentCount;
    private Double firstLoss;
    private double lastLoss = Double.NaN;
    private Double lastEvalLoss;
    private int barWidthDrawn;

    TrainingProgress(PrintWriter out, boolean terminal) {
        this(out, terminal, System::nanoTime);
    }

    TrainingProgress(PrintWriter out, boolean terminal, LongSupplier clock) {
        this.out = out;
        this.terminal = terminal;
        this.clock = clock;
    }

    @Override
    public void onTrainBegin(TrainingPlan plan) {
        totalSteps = plan.totalSteps();
        startStep = plan.startStep();
        startNanos = clock.getAsLong();
        lastDrawNanos = startNanos;
        printEvery = Math.max(1, totalSteps / 20);
        out.printf(Locale.ROOT, "training %d steps (%s epoch%s) on %,d examples%s; %s of %s parameters train%s%n",
                totalSteps, trim(plan.epochs()), plan.epochs() == 1 ? "" : "s", plan.trainExamples(),
                plan.evalExamples() > 0 ? String.format(Locale.ROOT, " (%,d held out for evaluation)", plan.evalExamples()) : "",
                count(plan.trainableParameters()), count(plan.totalParameters()),
                startStep > 0 ? ", resuming at step " + startStep : "");
        out.flush();
    }

    @Override
    public void onStep(long step, long total, double loss, double lr, long totalTokens) {
        if (firstLoss == null) {
            firstLoss = loss;
        }
        lastLoss = loss;
        windowLoss += loss;
        windowSteps++;
        recent[recentCount++ % recent.length] = loss;
        long now = clock.getAsLong();
        boolean last = step == total;
        if (terminal) {
            if (last || now - lastDrawNanos >= REDRAW_NANOS) {
                drawBar(step, total, lr, totalTokens, now);
                lastDrawNanos = now;
            }
        } else if (last || step % printEvery == 0 || now - lastDrawNanos >= PLAIN_MAX_SILENCE_NANOS) {
            out.println(plainLine(step, total, windowLoss / windowSteps, lr, totalTokens, now));
            out.flush();
            windowLoss = 0;
            windowSteps = 0;
            lastDrawNanos = now;
        }
    }

    @Override
    public void onLog(StepLog log) {
        if (log.evalLoss() == null) {
            return;
        }
        lastEvalLoss = log.evalLoss();
        String line = String.format(Locale.ROOT, "step %d/%d  eval loss %.4f", log.currentSteps(), log.totalSteps(),
                log.evalLoss());
        if (terminal) {
            out.print("\r" + pad(line, barWidthDrawn) + "\n");
            barWidthDrawn = 0;
        } else {
            out.println(line);
        }
        out.flush();
    }

    @Override
    public void onTrainEnd(TrainingSummary summary) {
        if (terminal && barWidthDrawn > 0) {
            out.println();
            barWidthDrawn = 0;
        }
        out.flush();
    }

    /** The loss of the first step of this run, or NaN before it. */
    double firstLoss() {
        return firstLoss == null ? Double.NaN : firstLoss;
    }

    /** The loss of the last step. */
    double lastLoss() {
        return lastLoss;
    }

    /**
     * The end of a run for a person: steps, time, losses, speed, memory, then the output folder and what is in it.
     */
    void printSummary(FineTuneResult result) {
        TrainingSummary s = result.summary();
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "done: %d steps in %s, loss %s -> %s (mean %.4f)", s.globalSteps(),
                StepLog.formatDuration(s.trainRuntimeSeconds()), fmt(firstLoss()), fmt(lastLoss), s.trainLoss()));
        if (s.finalEvalLoss() != null) {
            b.append(String.format(Locale.ROOT, ", eval loss %.4f", s.finalEvalLoss()));
        }
        b.append(String.format(Locale.ROOT, ", %,.0f tokens/s", s.tokensPerSecond()));
        if (s.peakRssBytes() > 0) {
            b.append(String.format(Locale.ROOT, ", peak memory %,d MB", s.peakRssBytes() / (1024 * 1024)));
        }
        out.println(b);
        out.println("wrote " + result.outputDir() + ": " + describeFiles(result.outputDir()));
        out.flush();
    }

    /** The files of {@code dir} with their sizes, folders marked with a slash: one line. */
    static String describeFiles(Path dir) {
        List<String> parts = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.sorted().toList()) {
                String name = p.getFileName().toString();
                parts.add(Files.isDirectory(p) ? name + "/" : name + " (" + size(Files.size(p)) + ")");
            }
        } catch (IOException e) {
            return "(cannot list: " + e.getMessage() + ")";
        }
        return String.join(", ", parts);
    }

    static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KB", bytes / 1024.0);
        }
        if (bytes < 1024L * 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f MB", bytes / (1024.0 * 1024));
        }
        return String.format(Locale.ROOT, "%.2f GB", bytes / (1024.0 * 1024 * 1024));
    }

    private String plainLine(long step, long total, double loss, double lr, long tokens, long now) {
        double elapsed = (now - startNanos) / 1e9;
        return String.format(Locale.ROOT, "step %d/%d (%d%%)  loss %.4f  lr %.2e  %s tokens/s  elapsed %s  eta %s",
                step, total, percent(step, total), loss, lr, tokensPerSecond(tokens, elapsed),
                StepLog.formatDuration(elapsed), StepLog.formatDuration(eta(step, total, elapsed)));
    }

    private void drawBar(long step, long total, double lr, long tokens, long now) {
        double elapsed = (now - startNanos) / 1e9;
        double fraction = total == 0 ? 1 : (double) step / total;
        int full = (int) Math.floor(fraction * BAR_CELLS);
        String bar = "\u2588".repeat(full) + " ".repeat(BAR_CELLS - full);
        int n = Math.min(recentCount, recent.length);
        double smooth = 0;
        for (int i = 0; i < n; i++) {
            smooth += recent[i];
        }
        smooth /= Math.max(1, n);
        String line = String.format(Locale.ROOT, "%3d%%|%s| %d/%d [%s<%s] loss %.4f lr %.2e %s tok/s",
                percent(step, total), bar, step, total, StepLog.formatDuration(elapsed),
                StepLog.formatDuration(eta(step, total, elapsed)), smooth, lr, tokensPerSecond(tokens, elapsed));
        out.print("\r" + pad(line, barWidthDrawn));
        barWidthDrawn = line.length();
        out.flush();
    }

    private double eta(long step, long total, double elapsed) {
        long done = step - startStep;
        return done <= 0 ? 0 : elapsed / done * (total - step);
    }

    private double tokensPerSecondValue(long tokens, double elapsed) {
        return elapsed <= 0 ? 0 : tokens / elapsed;
    }

    private String tokensPerSecond(long tokens, double elapsed) {
        return String.format(Locale.ROOT, "%,.0f", tokensPerSecondValue(tokens, elapsed));
    }

    private static int percent(long step, long total) {
        return total == 0 ? 100 : (int) (step * 100 / total);
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.4f", v);
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.2f", v);
    }

    /** 1234567 as {@code 1.23M}, 12345 as {@code 12.3K}. */
    static String count(long n) {
        if (n >= 1_000_000_000L) {
            return String.format(Locale.ROOT, "%.2fB", n / 1e9);
        }
        if (n >= 1_000_000L) {
            return String.format(Locale.ROOT, "%.2fM", n / 1e6);
        }
        if (n >= 10_000L) {
            return String.format(Locale.ROOT, "%.1fK", n / 1e3);
        }
        return String.valueOf(n);
    }
}
