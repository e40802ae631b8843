package dev.finetune4j.train.recipes;

import dev.finetune4j.config.Stage;
import dev.finetune4j.data.Batch;
import dev.finetune4j.data.EncodedExample;
import dev.finetune4j.encoding.EncodedKto;
import dev.finetune4j.train.Trainer;
import dev.finetune4j.train.TrainingRun;
import dev.finetune4j.train.loss.KtoSequences;
import dev.finetune4j.train.loss.LossMetrics;
import dev.finetune4j.train.loss.PreferenceLosses;
import dev.finetune4j.train.loss.SequenceLogProbs;
import dev.finetune4j.train.loss.SequenceLoss;
import dev.finetune4j.train.loss.SequenceLossResult;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The recipe of stage {@code kto} (FORMATS.md §G, TRL's formula as LLaMA-Factory runs it). Each row is an answer
 * tagged desirable or undesirable, with its KL row (the same prompt with the previous example's answer). One
 * optimizer step, for each micro-batch:
 * <ol>
 *   <li>without gradient: the {@link ReferenceModel}'s label log-prob sums of the rows and of the KL rows, and the
 *       policy's sums of the KL rows (they only estimate {@code z}, the KL term);</li>
 *   <li>the policy's training forward of the rows, reduced to label log-prob sums and counts;</li>
 *   <li>the {@link SequenceLoss} ({@code kto_chosen_weight}, {@code kto_rejected_weight}, {@code pref_beta},
 *       {@code pref_ftx}) and backward with each row's gradient over its label tokens, divided by the number of
 *       micro-batches (the same accumulation as {@link DpoTrainer}).</li>
 * </ol>
 * Metrics: {@code rewards/chosen}, {@code rewards/rejected}, {@code logps/chosen}, {@code logps/rejected} (over the
 * desirable and undesirable rows of the step), {@code rewards/margins} and {@code kl}.
 */
public final class KtoTrainer implements Trainer {
    private static final Logger LOG = LoggerFactory.getLogger(KtoTrainer.class);

    private final SequenceLoss<KtoSequences> configuredLoss;
    private SequenceLoss<KtoSequences> loss;
    private ReferenceModel reference;

    /** The configured KTO loss. */
    public KtoTrainer() {
        this(null);
    }

    /** A loss of your own on the KTO rows' sequence log-probs (null: the configured one). */
    public KtoTrainer(SequenceLoss<KtoSequences> loss) {
        this.configuredLoss = loss;
    }

    @Override
    public Set<Stage> stages() {
        return Set.of(Stage.KTO);
    }

    private void prepare(TrainingRun run) {
        if (loss == null) {
            loss = configuredLoss != null ? configuredLoss : PreferenceLosses.kto(run.config().preference());
            reference = ReferenceModel.of(run);
            LOG.info("kto: loss {}, reference {}", loss.name(), reference);
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
            List<EncodedKto> examples = run.data().ktoRows(rows);
            Batch b = run.data().trainBatch(rows);
            Batch kl = klBatch(run, examples);
            tokens += LanguageModelingTrainer.realTokens(b);
            double[] reference = this.reference.sums(b);
            double[] referenceKl = this.reference.sums(kl);
            double[] policyKl = SequenceLogProbPass.sums(run.model(), kl);
            SequenceLogProbPass policy = SequenceLogProbPass.forward(run.model(), b);
            SequenceLossResult r = loss.compute(new KtoSequences(policy.logProbs(), desirable(examples), reference,
                    policyKl, referenceKl));
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

    /** The mean KTO loss over the evaluation rows (each batch's loss weighted by its rows). */
    @Override
    public double evaluate(TrainingRun run) {
        prepare(run);
        int n = run.data().evalRows();
        int bs = run.config().training().perDeviceEvalBatchSize();
        double weighted = 0;
        for (int from = 0; from < n; from += bs) {
            int to = Math.min(n, from + bs);
            List<EncodedKto> examples = run.data().evalKtoRows(from, to);
            Batch b = run.data().evalBatch(from, to);
            Batch kl = klBatch(run, examples);
            SequenceLogProbs policy = SequenceLogProbPass.logProbs(run.model(), b);
            KtoSequences batch = new KtoSequences(policy, desirable(examples), reference.sums(b),
                    SequenceLogProbPass.sums(run.model(), kl), reference.sums(kl));
            weighted += loss.compute(batch).loss() * (to - from);
        }
        return n == 0 ? Double.NaN : weighted / n;
    }

    private static Batch klBatch(TrainingRun run, List<EncodedKto> examples) {
        List<EncodedExample> kl = examples.stream().map(EncodedKto::klExample).toList();
        return run.data().encoder().collate(kl);
    }

    private static boolean[] desirable(List<EncodedKto> examples) {
        boolean[] d = new boolean[examples.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = examples.get(i).desirable();
        }
        return d;
    }
}
