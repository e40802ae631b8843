package dev.finetune4j.train.optim;

import static dev.finetune4j.config.SchedulerType.CONSTANT;
import static dev.finetune4j.config.SchedulerType.CONSTANT_WITH_WARMUP;
import static dev.finetune4j.config.SchedulerType.COSINE;
import static dev.finetune4j.config.SchedulerType.LINEAR;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Values computed by hand from transformers' get_*_schedule_with_warmup. */
class LearningRateScheduleTest {

    @Test
    void linearWarmsUpThenDecaysToZero() {
        LearningRateSchedule s = new LearningRateSchedule(LINEAR, 2e-4, 2, 10);
        double[] want = {0, 0.5, 1, 7 / 8.0, 6 / 8.0, 5 / 8.0, 4 / 8.0, 3 / 8.0, 2 / 8.0, 1 / 8.0, 0, 0};
        for (int k = 0; k < want.length; k++) {
            assertEquals(want[k], s.factor(k), 1e-15, "step " + k);
            assertEquals(2e-4 * want[k], s.lr(k), 1e-19);
        }
    }

    @Test
    void cosineIsHalfACosineAfterWarmup() {
        LearningRateSchedule s = new LearningRateSchedule(COSINE, 1, 2, 10);
        assertEquals(0.5, s.factor(1), 1e-15);
        assertEquals(1, s.factor(2), 1e-15);
        assertEquals(0.8535533905932737, s.factor(4), 1e-15); // ½(1 + cos(π/4))
        assertEquals(0.5, s.factor(6), 1e-15);
        assertEquals(0.14644660940672627, s.factor(8), 1e-15); // ½(1 + cos(3π/4))
        assertEquals(0, s.factor(10), 1e-15);
        assertEquals(0.5 * (1 + Math.cos(9 * Math.PI / 8)), s.factor(11), 1e-15); // past the end it rises again, as HF
    }

    @Test
    void constantIgnoresWarmupAndConstantWithWarmupDoesNot() {
        LearningRateSchedule c = new LearningRateSchedule(CONSTANT, 1e-4, 3, 10);
        assertEquals(1e-4, c.lr(0));
        LearningRateSchedule w = new LearningRateSchedule(CONSTANT_WITH_WARMUP, 1, 4, 10);
        assertEquals(0, w.factor(0));
        assertEquals(0.25, w.factor(1));
        assertEquals(0.75, w.factor(3));
        assertEquals(1, w.factor(4));
        assertEquals(1, w.factor(100));
    }

    @Test
    void warmupStepsWinOverTheRatioWhichRoundsUp() {
        assertEquals(2, LearningRateSchedule.of(LINEAR, 1, 10, 0, 0.15).warmupSteps());
        assertEquals(1, LearningRateSchedule.of(LINEAR, 1, 10, 0, 0.1).warmupSteps());
        assertEquals(8, LearningRateSchedule.of(LINEAR, 1, 100, 0, 0.07).warmupSteps()); // ceil(7.000000000000001), as HF
        assertEquals(5, LearningRateSchedule.of(LINEAR, 1, 10, 5, 0.3).warmupSteps());
        assertEquals(0, LearningRateSchedule.of(COSINE, 1, 10, 0, 0).warmupSteps());
        assertEquals(1, new LearningRateSchedule(LINEAR, 1, 0, 10).factor(0)); // no warmup: full lr at once
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.of(LINEAR, 1, 10, 0, 1.5));
        assertThrows(IllegalArgumentException.class, () -> new LearningRateSchedule(LINEAR, -1, 0, 10));
    }
}
