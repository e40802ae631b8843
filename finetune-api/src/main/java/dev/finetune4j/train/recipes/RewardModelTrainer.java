package dev.finetune4j.train.recipes;

import dev.finetune4j.config.FineTuneConfig;
import dev.finetune4j.config.Stage;
import dev.finetune4j.data.Batch;
import dev.finetune4j.model.CausalLM;
import dev.finetune4j.model.layers.Tensors;
import dev.finetune4j.nn.ArrayPool;
import dev.finetune4j.nn.Parameter;
import dev.finetune4j.reward.RewardModel;
import dev.finetune4j.reward.ValueHead;
import dev.finetune4j.train.Trainer;
import dev.finetune4j.train.TrainingRun;
import dev.finetune4j.train.loss.LossMetrics;
import dev.finetune4j.train.loss.PreferenceLosses;
import dev.finetune4j.train.loss.RewardModelLoss;
import dev.finetune4j.train.loss.SequenceLossResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The recipe of stage {@code rm}: a reward model, the causal LM with a {@link ValueHead} on its final hidden
 * states, trained on chosen/rejected pairs (FORMATS.md §G). One optimizer step, for each micro-batch (rows
 * [chosen…, rejected…]):
 * <ol>
 *   <li>the training forward to the final hidden states;</li>
 *   <li>each row's score: the value head at its last non-padding token;</li>
 *   <li>{@link RewardModelLoss}, {@code −mean log σ(s_chosen − s_rejected)}, and its gradient back through the
 *       head into those tokens' hidden states and the model, divided by the number of micro-batches.</li>
 * </ol>
 * The head trains along with the adapter (or the whole model) and is saved next to it as
 * {@code value_head.safetensors}, where {@link RewardModel#load} finds it. Metric: {@code accuracy}, the fraction of
 * pairs scored chosen above rejected.
 */
public final class RewardModelTrainer implements Trainer {
    private static final Logger LOG = LoggerFactory.getLogger(RewardModelTrainer.class);

    private final RewardModelLoss loss = PreferenceLosses.rewardModel();
    private ValueHead head;

    @Override
    public Set<Stage> stages() {
        return Set.of(Stage.RM);
    }

    /** The value head: restored from the checkpoint being resumed, or the adapter being continued, else new. */
    @Override
    public List<Parameter> addedParameters(FineTuneConfig config, CausalLM model) throws IOException {
        int hidden = model.config().hiddenSize();
        Path resume = config.training().resumeFromCheckpoint();
        Path adapter = config.model().adapterNameOrPath();
        if (resume != null) {
            head = ValueHead.load(resume, hidden, model.dataType(), true);
        } else if (adapter != null && Files.isRegularFile(adapter.resolve(ValueHead.FILE_NAME))) {
            head = ValueHead.load(adapter, hidden, model.dataType(), true);
            LOG.info("rm: continuing the value head of {}", adapter);
        } else {
            head = ValueHead.create(hidden, model.dataType(), config.training().seed());
        }
        return head.parameters();
    }

    @Override
    public void saveAddedWeights(Path dir) throws IOException {
        head.save(dir);
    }

    /** The value head being trained (after {@link #addedParameters}). */
    public ValueHead valueHead() {
        return head;
    }

    @Override
    public StepResult step(TrainingRun run, List<int[]> microBatches) {
        int n = microBatches.size();
        double stepLoss = 0;
        long tokens = 0;
        LossMetrics metrics = LossMetrics.empty();
        CausalLM model = run.model();
        for (int[] rows : microBatches) {
            Batch b = run.data().trainBatch(rows);
            tokens += LanguageModelingTrainer.realTokens(b);
            try (ArrayPool.Activation a = model.pool().activate()) {
                INDArray h = model.forward(b, true);
                int[] last = RewardModel.lastTokenRows(b);
                INDArray atLast = Nd4j.pullRows(h, 1, last);
                INDArray scores = head.forward(atLast, true);
                double[] s = scores.toDoubleVector();
                int pairs = s.length / 2;
                SequenceLossResult r = loss.compute(Arrays.copyOfRange(s, 0, pairs),
                        Arrays.copyOfRange(s, pairs, s.length));
                double[] g = r.gradient();
                for (int i = 0; i < g.length; i++) {
                    g[i] /= n;
                }
                INDArray dScores = Nd4j.createFromArray(g).castTo(h.dataType()).reshape(g.length, 1);
                INDArray dRows = head.backward(dScores);
                INDArray dh = ArrayPool.takeZeros(h.dataType(), h.shape());
                for (int i = 0; i < last.length; i++) {
                    dh.getRow(last[i]).assign(dRows.getRow(i));
                }
                model.backward(dh);
                Tensors.close(h, dh, dRows, scores);
                stepLoss += r.loss() / n;
                metrics = metrics.plus(r.metrics());
            }
        }
        return new StepResult(stepLoss, tokens, metrics.values());
    }

    /** The mean pairwise loss over the evaluation pairs (each batch weighted by its pairs). */
    @Override
    public double evaluate(TrainingRun run) {
        int n = run.data().evalRows();
        int bs = run.config().training().perDeviceEvalBatchSize();
        double weighted = 0;
        for (int from = 0; from < n; from += bs) {
            int to = Math.min(n, from + bs);
            double[] s = RewardModel.scores(run.model(), head, run.data().evalBatch(from, to));
            int pairs = s.length / 2;
            weighted += loss.compute(Arrays.copyOfRange(s, 0, pairs), Arrays.copyOfRange(s, pairs, s.length)).loss()
                    * (to - from);
        }
        return n == 0 ? Double.NaN : weighted / n;
    }
}
