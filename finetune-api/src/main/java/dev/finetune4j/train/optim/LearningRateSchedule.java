package dev.finetune4j.train.optim;

import dev.finetune4j.config.SchedulerType;
import java.util.Objects;

/**
 * The learning rate at each optimizer step, with HuggingFace's formulas ({@code get_*_schedule_with_warmup}; a
 * {@code LambdaLR} whose state is just the step). Step {@code k} is the number of optimizer steps already taken, so
 * the first update uses {@code lr(0)}.
 * <ul>
 *   <li>warmup ({@code k < w}): {@code k / max(1, w)} (all but {@code constant})</li>
 *   <li>linear: {@code max(0, (T - k) / max(1, T - w))}</li>
 *   <li>cosine: {@code max(0, ½(1 + cos(π·p)))}, {@code p = (k - w) / max(1, T - w)}</li>
 *   <li>constant: 1 (no warmup, as HF's {@code get_constant_schedule}); constant_with_warmup: 1 after warmup</li>
 * </ul>
 *
 * @param type        the schedule
 * @param baseLr      the peak learning rate ({@code learning_rate})
 * @param warmupSteps w
 * @param totalSteps  T, the number of optimizer steps of the run
 */
public record LearningRateSchedule(SchedulerType type, double baseLr, int warmupSteps, int totalSteps) {
    public LearningRateSchedule {
        Objects.requireNonNull(type, "type");
        if (!(baseLr >= 0) || Double.isInfinite(baseLr)) {
            throw new IllegalArgumentException("learning rate must be >= 0, got " + baseLr);
        }
        if (warmupSteps < 0 || totalSteps < 0) {
            throw new IllegalArgumentException("warmup and total steps must be >= 0, got " + warmupSteps + ", "
                    + totalSteps);
        }
    }

    /**
     * A schedule with HF's warmup rule: {@code warmupSteps} if positive, else {@code ceil(totalSteps·warmupRatio)}.
     */
    public static LearningRateSchedule of(SchedulerType type, double baseLr, int totalSteps, int warmupSteps,
                                          double warmupRatio) {
        if (!(warmupRatio >= 0 && warmupRatio <= 1)) {
            throw new IllegalArgumentException("warmup_ratio must be in [0, 1], got " + warmupRatio);
        }
        int w = warmupSteps > 0 ? warmupSteps : (int) Math.ceil(totalSteps * warmupRatio);
        return new LearningRateSchedule(type, baseLr, w, totalSteps);
    }

    /** The multiplier of {@link #baseLr()} at step {@code k}. */
    public double factor(int k) {
        if (k < 0) {
            throw new IllegalArgumentException("step must be >= 0, got " + k);
        }
        if (type == SchedulerType.CONSTANT) {
            return 1;
        }
        if (k < warmupSteps) {
            return (double) k / Math.max(1, warmupSteps);
        }
        return switch (type) {
            case CONSTANT_WITH_WARMUP -> 1;
            case LINEAR -> Math.max(0, (double) (totalSteps - k) / Math.max(1, totalSteps - warmupSteps));
            case COSINE -> {
                double progress = (double) (k - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
                yield Math.max(0, 0.5 * (1 + Math.cos(Math.PI * 2 * 0.5 * progress)));
            }
            default -> throw new IllegalStateException(type.toString());
        };
    }

    /** The learning rate at step {@code k}: {@code baseLr · factor(k)}. */
    public double lr(int k) {
        return baseLr * factor(k);
    }
}
