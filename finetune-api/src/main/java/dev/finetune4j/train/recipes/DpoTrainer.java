package dev.finetune4j.train.recipes;

import dev.finetune4j.config.Stage;
import dev.finetune4j.data.Batch;
import dev.finetune4j.train.Trainer;
import dev.finetune4j.train.TrainingRun;
import dev.finetune4j.train.loss.LossMetrics;
import dev.finetune4j.train.loss.PairedSequences;
import dev.finetune4j.train.loss.PreferenceLosses;
import dev.finetune4j.train.loss.SequenceLogProbs;
import dev.finetune4j.train.loss.SequenceLoss;
import dev.finetune4j.train.loss.SequenceLossResult;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The recipe of stage {@code dpo} and its family ({@code pref_loss}: sigmoid, hinge, ipo, orpo, simpo; FORMATS.md
 * §G). One optimizer step, for each micro-batch of chosen/rejected pairs (batch rows [chosen…, rejected…]):
 * <ol>
 *   <li>if the loss needs one, the {@link ReferenceModel}'s label log-prob sums, without gradient;</li>
 *   <li>the policy's training forward, reduced to each row's label log-prob sum and count;</li>
 *   <li>the {@link SequenceLoss} on them: the micro-batch loss (mean over its pairs), ∂loss/∂sum per row and the
 *       metrics ({@code rewards/chosen}, {@code rewards/rejected}, {@code rewards/accuracies},
 *       {@code rewards/margins}, {@code logps/chosen}, {@code logps/rejected});</li>
 *   <li>backward with each row's gradient spread over its label tokens, divided by the number of micro-batches.</li>
 * </ol>
 * Accumulation as HuggingFace's Trainer does for LLaMA-Factory's DPO trainer ({@code model_accepts_loss_kwargs =
 * False}): each micro-batch's mean loss is divided by the window's micro-batch count, so the step loss is the mean
 * of the micro-batch losses. The logged metrics are the mean over micro-batches of each micro-batch's value.
 */
public final class DpoTrainer implements Trainer {
    private static final Logger LOG = LoggerFactory.getLogger(DpoTrainer.class);

    private final SequenceLoss<PairedSequences> configuredLoss;
    private SequenceLoss<PairedSequences> loss;
    private ReferenceModel reference;

    /** The loss chosen by {@code pref_loss} and its parameters. */
    public DpoTrainer() {
        this(null);
    }

    /** A loss of your own on the pairs' sequence log-probs (null: the configured {@code pref_loss}). */
    public DpoTrainer(SequenceLoss<PairedSequences> loss) {
        this.configuredLoss = loss;
    }

    @Override
    public Set<Stage> stages() {
        return Set.of(Stage.DPO);
    }

    private void prepare(TrainingRun run) {
        if (loss == null) {
            loss = configuredLoss != null ? configuredLoss : PreferenceLosses.pairwise(run.config().preference());
            if (loss.needsReference()) {
                reference = ReferenceModel.of(run);
            }
            LOG.info("dpo: loss {}, reference {}", loss.name(), reference == null ? "none" : reference);
        }
    }

    @Override
    public StepResult step(TrainingRun run, List<int[]> microBatches) {
        prepare(run);
        int n = microBatches.size();
        double stepLoss = 0;
        long tokens = 0;
        LossMetrics metrics = LossMetrics.empty();
        for (int[] rows : microBatches) {
            Batch b = run.data().trainBatch(rows);
            tokens += LanguageModelingTrainer.realTokens(b);
            double[] ref = reference == null ? null : reference.sums(b);
            SequenceLogProbPass policy = SequenceLogProbPass.forward(run.model(), b);
            SequenceLossResult r = loss.compute(paired(policy, ref));
            double[] g = r.gradient();
            for (int i = 0; i < g.length; i++) {
                g[i] /= n;
            }
            policy.backward(g);
            stepLoss += r.loss() / n;
            metrics = metrics.plus(r.metrics());
        }
        return new StepResult(stepLoss, tokens, metrics.values());
    }

    private static PairedSequences paired(SequenceLogProbPass policy, double[] ref) {
        return ref == null ? PairedSequences.of(policy.logProbs()) : PairedSequences.of(policy.logProbs(), ref);
    }

    /** The mean preference loss over the evaluation pairs (each batch's mean weighted by its pairs). */
    @Override
    public double evaluate(TrainingRun run) {
        prepare(run);
        int n = run.data().evalRows();
        int bs = run.config().training().perDeviceEvalBatchSize();
        double weighted = 0;
        for (int from = 0; from < n; from += bs) {
            int to = Math.min(n, from + bs);
            Batch b = run.data().evalBatch(from, to);
            double[] ref = reference == null ? null : reference.sums(b);
            SequenceLogProbs policy = SequenceLogProbPass.logProbs(run.model(), b);
            PairedSequences p = ref == null ? PairedSequences.of(policy) : PairedSequences.of(policy, ref);
            weighted += loss.compute(p).loss() * (to - from);
        }
        return n == 0 ? Double.NaN : weighted / n;
    }
}
