package dev.finetune4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.FineTuner;
import dev.finetune4j.config.SchedulerType;
import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.EncodedExample;
import dev.finetune4j.data.Message;
import dev.finetune4j.datasets.Datasets;
import dev.finetune4j.template.ChatTemplate;
import dev.finetune4j.template.EncodedTurn;
import dev.finetune4j.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 5: the strategies are public and pluggable; a custom loss and a custom template go in through the builder. */
class PluggableStrategiesTest {

    /** A user's own template: "User: …\nBot: " then the answer and EOS. */
    static final class PlainTemplate implements ChatTemplate {
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public String name() {
            return "plain";
        }

        @Override
        public List<EncodedTurn> encodeTurns(Tokenizer tok, Conversation c, boolean discardHistoryThinking) {
            calls.incrementAndGet();
            List<EncodedTurn> turns = new ArrayList<>();
            List<Message> m = c.messages();
            for (int i = 0; i + 1 < m.size(); i += 2) {
                String prompt = (i == 0 && c.hasSystem() ? c.system() + "\n" : "") + "User: " + m.get(i).content()
                        + "\nBot: ";
                int[] answer = tok.encode(m.get(i + 1).content());
                int[] withEos = java.util.Arrays.copyOf(answer, answer.length + 1);
                withEos[answer.length] = tok.eosId().orElseThrow();
                turns.add(new EncodedTurn(tok.encode(prompt), withEos));
            }
            return turns;
        }
    }

    /** A user's own loss: cross-entropy that weighs each label token twice. */
    static final class DoubleCrossEntropy implements Loss {
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public String name() {
            return "double_ce";
        }

        @Override
        public Value compute(double[] logProbs, int[] targets, int seqLen, double normaliser) {
            calls.incrementAndGet();
            double[] g = new double[logProbs.length];
            double sum = 0;
            for (int i = 0; i < logProbs.length; i++) {
                if (targets[i] != EncodedExample.IGNORE_INDEX) {
                    sum -= 2 * logProbs[i];
                    g[i] = -2 / normaliser;
                }
            }
            return new Value(sum / normaliser, g);
        }
    }

    private static List<Double> train(Path model, Path out, ChatTemplate template, Loss loss) {
        List<Double> losses = new ArrayList<>();
        FineTuner.Builder b = FineTuner.builder().model(model).dataset(Datasets.siliconFlow(TinyCustomerService.data()))
                .template(template).lora(8, 16, 0).learningRate(1e-3).maxSteps(3).batchSize(4)
                .scheduler(SchedulerType.CONSTANT).shuffle(false).outputDir(out)
                .listener(new TrainingListener() {
                    @Override
                    public void onStep(long step, long total, double l, double lr, long tokens) {
                        losses.add(l);
                    }
                });
        if (loss != null) {
            b.loss(loss);
        }
        b.train();
        return losses;
    }

    @Test
    void customLossAndTemplateRunThroughTheBuilder(@TempDir Path dir) throws Exception {
        Path model = TinyCustomerService.writeModel(dir.resolve("model"));
        PlainTemplate template = new PlainTemplate();
        List<Double> ce = train(model, dir.resolve("ce"), template, null);
        assertEquals(12, template.calls.get(), "the custom template encoded every example");

        DoubleCrossEntropy loss = new DoubleCrossEntropy();
        List<Double> doubled = train(model, dir.resolve("double"), new PlainTemplate(), loss);
        assertEquals(3, loss.calls.get(), "one call per micro-batch");
        // same data, same start: the first step's loss is exactly twice the cross-entropy (two-pass path vs fused)
        assertEquals(2 * ce.get(0), doubled.get(0), 1e-5 * ce.get(0));
        // Adam is invariant to the gradient's scale, so the doubled loss takes the same steps
        assertEquals(2 * ce.get(2), doubled.get(2), 1e-4 * ce.get(2));
    }

    @Test
    void aTrainerForAnotherStageIsRefused(@TempDir Path dir) throws Exception {
        Path model = TinyCustomerService.writeModel(dir.resolve("model"));
        Trainer pretrainOnly = new Trainer() {
            @Override
            public java.util.Set<dev.finetune4j.config.Stage> stages() {
                return java.util.Set.of(dev.finetune4j.config.Stage.PT);
            }

            @Override
            public StepResult step(TrainingRun run, List<int[]> microBatches) {
                throw new AssertionError("never called");
            }

            @Override
            public double evaluate(TrainingRun run) {
                return 0;
            }
        };
        FineTuneException e = assertThrows(FineTuneException.class, () -> FineTuner.builder().model(model)
                .dataset(Datasets.siliconFlow(TinyCustomerService.data())).template("qwen").trainer(pretrainOnly)
                .outputDir(dir.resolve("out")).train());
        assertTrue(e.getMessage().contains("runs stages [PT], not sft"), e.getMessage());
    }
}
