package dev.finetune4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.train.StepLog;
import dev.finetune4j.train.TrainingListener.TrainingPlan;
import dev.finetune4j.train.TrainingSummary;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The progress display with a fake clock: plain lines for logs, a bar redrawn in place for terminals. */
class TrainingProgressTest {
    private long now;

    private TrainingProgress progress(StringWriter sink, boolean terminal) {
        return new TrainingProgress(new PrintWriter(sink, true), terminal, () -> now);
    }

    /** 40 steps, one second each, 100 tokens each, loss 40 - step. */
    private void run(TrainingProgress p) {
        p.onTrainBegin(new TrainingPlan(40, 2, 12, 0, 65_536, 459_904, 0));
        for (int step = 1; step <= 40; step++) {
            now += 1_000_000_000L;
            p.onStep(step, 40, 40 - step, 5e-3, step * 100L);
        }
        p.onTrainEnd(new TrainingSummary(Path.of("out"), 40, 2, 40, 20.5, null, 24, 4000, -1));
    }

    @Test
    void plainLinesEachFivePercentWithTheMeanLossSinceTheLastLine() {
        StringWriter sink = new StringWriter();
        run(progress(sink, false));
        List<String> lines = sink.toString().lines().toList();
        assertEquals("training 40 steps (2 epochs) on 12 examples; 65.5K of 459.9K parameters train", lines.get(0));
        assertEquals(21, lines.size(), sink.toString()); // the header and a line every 2 steps
        // steps 1 and 2: losses 39 and 38; 200 tokens in 2 s; 38 steps left at 1 s each
        assertEquals("step 2/40 (5%)  loss 38.5000  lr 5.00e-03  100 tokens/s  elapsed 0:00:02  eta 0:00:38",
                lines.get(1));
        assertEquals("step 40/40 (100%)  loss 0.5000  lr 5.00e-03  100 tokens/s  elapsed 0:00:40  eta 0:00:00",
                lines.get(20));
    }

    @Test
    void terminalBarIsRedrawnInPlaceAndEndsWithANewline() {
        StringWriter sink = new StringWriter();
        run(progress(sink, true));
        String text = sink.toString();
        List<String> lines = List.of(text.split("\n"));
        assertEquals(2, lines.size(), "the header, then one line rewritten with carriage returns");
        String bar = lines.get(1);
        assertEquals(40, bar.chars().filter(c -> c == '\r').count(), "a redraw per step (each a second apart)");
        String last = bar.substring(bar.lastIndexOf('\r') + 1);
        assertTrue(last.startsWith("100%|" + "\u2588".repeat(24) + "| 40/40 [0:00:40<0:00:00] loss "), last);
        // the bar's loss is the mean of the last 10 steps: 9..0
        assertTrue(last.contains(" loss 4.5000 lr 5.00e-03 100 tok/s"), last);
        assertTrue(text.endsWith("\n"));
    }

    @Test
    void evaluationLossesGetTheirOwnLine() {
        StringWriter sink = new StringWriter();
        TrainingProgress p = progress(sink, false);
        p.onTrainBegin(new TrainingPlan(10, 1, 9, 1, 10, 100, 0));
        p.onLog(new StepLog(10, 10, null, 1.25, 1e-3, 1, 3, 0, 500, Double.NaN, Map.of()));
        p.onLog(new StepLog(10, 10, 2.0, null, 1e-3, 1, 3, 0, 500, 0.5, Map.of())); // training lines: not repeated
        assertEquals(List.of("training 10 steps (1 epoch) on 9 examples (1 held out for evaluation); 10 of 100"
                + " parameters train", "step 10/10  eval loss 1.2500"), sink.toString().lines().toList());
    }

    @Test
    void sizesAndCounts() {
        assertEquals("726 B", TrainingProgress.size(726));
        assertEquals("259.5 KB", TrainingProgress.size(265_728));
        assertEquals("1.5 MB", TrainingProgress.size(1_572_864));
        assertEquals("494.03M", TrainingProgress.count(494_032_768));
        assertEquals("9999", TrainingProgress.count(9_999));
    }
}
