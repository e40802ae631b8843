package dev.finetune4j.train;

import java.util.Map;

/**
 * One line of {@code trainer_log.jsonl}, with LLaMA-Factory's keys: what a progress bar, a listener and the
 * loss plot read. {@code loss} is the mean of the step losses since the previous log line (HuggingFace
 * semantics: each step's loss is its batch loss before its update); {@code evalLoss} is set on evaluation
 * lines. {@code metrics} holds stage-specific values such as {@code rewards/accuracies}.
 *
 * @param epoch         fractional epoch reached (HuggingFace's {@code epoch})
 * @param elapsedSeconds seconds since training started
 * @param remainingSeconds estimated seconds to the end
 * @param totalTokens   input tokens processed so far (padding excluded)
 * @param gradNorm      global gradient norm before clipping of the last step, or NaN
 */
public record StepLog(long currentSteps, long totalSteps, Double loss, Double evalLoss, double lr, double epoch,
                      double elapsedSeconds, double remainingSeconds, long totalTokens, double gradNorm,
                      Map<String, Double> metrics) {
    public StepLog {
        metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
    }

    /** Percentage of the run done, rounded to 2 decimals as LLaMA-Factory writes it. */
    public double percentage() {
        return totalSteps == 0 ? 100 : Math.round(currentSteps * 10000.0 / totalSteps) / 100.0;
    }

    /** Tokens per second since the start. */
    public double throughput() {
        return elapsedSeconds <= 0 ? 0 : totalTokens / elapsedSeconds;
    }

    /** Python's {@code str(timedelta(seconds=int(s)))}: {@code H:MM:SS}, with days as {@code "N day(s), H:MM:SS"}. */
    public static String formatDuration(double seconds) {
        long s = (long) Math.max(0, seconds);
        long days = s / 86400;
        s %= 86400;
        String hms = String.format("%d:%02d:%02d", s / 3600, (s % 3600) / 60, s % 60);
        return days == 0 ? hms : days + (days == 1 ? " day, " : " days, ") + hms;
    }
}
