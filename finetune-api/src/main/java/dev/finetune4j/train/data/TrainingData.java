package dev.finetune4j.train.data;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.config.Stage;
import dev.finetune4j.data.Batch;
import dev.finetune4j.data.EncodedExample;
import dev.finetune4j.encoding.DatasetEncoder;
import dev.finetune4j.encoding.EncodedDataset;
import dev.finetune4j.encoding.EncodedKto;
import dev.finetune4j.encoding.EncodedPair;
import dev.finetune4j.encoding.PackedSequence;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The encoded rows of a run, split into training and evaluation, and cut into micro-batches and optimizer steps.
 * A row is what one batch row holds: an example (pt, sft), a packed sequence (sft with packing), a chosen/rejected
 * pair (rm, dpo; two batch rows) or a KTO example.
 *
 * <p>Steps: an epoch visits every training row once in {@link EpochOrder}; consecutive rows form micro-batches of
 * {@code batchSize}; {@code accumulation} consecutive micro-batches form one optimizer step, the last step of an
 * epoch taking whatever micro-batches remain (as HuggingFace's Trainer does since 4.46).
 */
public final class TrainingData {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TrainingData.class);
    private final Stage stage;
    private final DatasetEncoder encoder;
    private final List<?> train;
    private final List<?> eval;
    private final int batchSize;
    private final int accumulation;
    private final EpochOrder order;

    private TrainingData(Stage stage, DatasetEncoder encoder, List<?> train, List<?> eval, int batchSize,
                         int accumulation, EpochOrder order) {
        this.stage = stage;
        this.encoder = encoder;
        this.train = train;
        this.eval = eval;
        this.batchSize = batchSize;
        this.accumulation = accumulation;
        this.order = order;
    }

    /**
     * Splits {@code data} into training and evaluation rows: {@code valSize} in (0, 1) is a fraction (rounded up,
     * as HuggingFace datasets' {@code train_test_split}), {@code valSize} ≥ 1 a count, 0 no evaluation split.
     * The split is a seeded shuffle; an explicit eval dataset replaces it.
     */
    public static TrainingData of(DatasetEncoder encoder, EncodedDataset data, EncodedDataset evalData,
                                  double valSize, int batchSize, int accumulation, long seed, boolean shuffle) {
        List<?> rows = rows(data);
        List<?> evalRows = evalData == null ? List.of() : rows(evalData);
        if (valSize > 0) {
            int n = rows.size();
            int nEval = valSize < 1 ? (int) Math.ceil(valSize * n) : (int) valSize;
            if (nEval >= n) {
                throw new FineTuneException("val_size " + valSize + " leaves no training rows out of " + n
                        + ": use a smaller val_size");
            }
            int[] perm = new int[n];
            for (int i = 0; i < n; i++) {
                perm[i] = i;
            }
            SplittableRandom r = new SplittableRandom(seed);
            for (int i = n - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            List<Object> tr = new ArrayList<>(n - nEval);
            List<Object> ev = new ArrayList<>(nEval);
            for (int i = 0; i < n; i++) {
                (i < nEval ? ev : tr).add(rows.get(perm[i]));
            }
            rows = tr;
            evalRows = ev;
        }
        if (rows.isEmpty()) {
            throw new FineTuneException("no training rows after encoding: check the dataset, the stage and cutoff_len");
        }
        return new TrainingData(data.stage(), encoder, rows, evalRows, batchSize, accumulation,
                new EpochOrder(rows.size(), seed, shuffle));
    }

    private static List<?> rows(EncodedDataset d) {
        return switch (d.stage()) {
            case PT -> d.examples();
            case SFT -> d.packed().isEmpty() ? d.examples() : d.packed();
            case RM, DPO -> withAnswers(d.pairs(), p -> hasLabel(p.chosen()) && hasLabel(p.rejected()));
            case KTO -> withAnswers(d.kto(), k -> hasLabel(k.example()));
            case PPO -> d.examples(); // the prompts
        };
    }

    /**
     * The rows whose answers kept at least one label token: a sequence log-prob needs one (LLaMA-Factory would
     * divide by a zero count). Only a prompt longer than {@code cutoff_len} leaves an answer empty.
     */
    private static <T> List<T> withAnswers(List<T> rows, java.util.function.Predicate<T> ok) {
        List<T> kept = rows.stream().filter(ok).toList();
        if (kept.size() < rows.size()) {
            LOG.warn("dropped {} of {} examples whose answer was cut off entirely by cutoff_len", rows.size()
                    - kept.size(), rows.size());
        }
        return kept;
    }

    private static boolean hasLabel(EncodedExample e) {
        int[] labels = e.labels();
        for (int i = 1; i < labels.length; i++) {
            if (labels[i] != EncodedExample.IGNORE_INDEX) {
                return true;
            }
        }
        return false;
    }

    public Stage stage() {
        return stage;
    }

    public DatasetEncoder encoder() {
        return encoder;
    }

    public int trainRows() {
        return train.size();
    }

    public int evalRows() {
        return eval.size();
    }

    public int microBatchesPerEpoch() {
        return (train.size() + batchSize - 1) / batchSize;
    }

    public int stepsPerEpoch() {
        return (microBatchesPerEpoch() + accumulation - 1) / accumulation;
    }

    /**
     * The optimizer step at (epoch, step within epoch) as its micro-batches, each a list of training row indices.
     */
    public List<int[]> step(int epoch, int stepInEpoch) {
        int[] idx = order.order(epoch);
        List<int[]> micro = new ArrayList<>(accumulation);
        int firstMicro = stepInEpoch * accumulation;
        int lastMicro = Math.min(firstMicro + accumulation, microBatchesPerEpoch());
        for (int m = firstMicro; m < lastMicro; m++) {
            int from = m * batchSize;
            int to = Math.min(from + batchSize, idx.length);
            int[] rows = new int[to - from];
            System.arraycopy(idx, from, rows, 0, rows.length);
            micro.add(rows);
        }
        return micro;
    }

    /** Training rows as a batch (pairs: chosen rows first, then rejected). */
    public Batch trainBatch(int[] rowIndices) {
        return collate(train, rowIndices);
    }

    /** Evaluation rows {@code [from, to)} as a batch. */
    public Batch evalBatch(int from, int to) {
        int[] rows = new int[to - from];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = from + i;
        }
        return collate(eval, rows);
    }

    /** The KTO examples of evaluation rows {@code [from, to)}. */
    public List<EncodedKto> evalKtoRows(int from, int to) {
        List<EncodedKto> out = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            out.add((EncodedKto) eval.get(i));
        }
        return out;
    }

    /** The encoded prompts of training rows (stage ppo). */
    public List<EncodedExample> promptRows(int[] rowIndices) {
        List<EncodedExample> out = new ArrayList<>(rowIndices.length);
        for (int i : rowIndices) {
            out.add((EncodedExample) train.get(i));
        }
        return out;
    }

    /** The KTO examples of training rows (the recipe needs the desirable flags and the KL examples). */
    public List<EncodedKto> ktoRows(int[] rowIndices) {
        List<EncodedKto> out = new ArrayList<>(rowIndices.length);
        for (int i : rowIndices) {
            out.add((EncodedKto) train.get(i));
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private Batch collate(List<?> rows, int[] indices) {
        List<Object> picked = new ArrayList<>(indices.length);
        for (int i : indices) {
            picked.add(rows.get(i));
        }
        Object first = picked.get(0);
        if (first instanceof EncodedExample) {
            return encoder.collate((List<EncodedExample>) (List<?>) picked);
        }
        if (first instanceof PackedSequence) {
            return encoder.collatePacked((List<PackedSequence>) (List<?>) picked);
        }
        if (first instanceof EncodedPair) {
            return encoder.collatePairs((List<EncodedPair>) (List<?>) picked);
        }
        if (first instanceof EncodedKto) {
            List<EncodedExample> ex = new ArrayList<>(picked.size());
            for (Object o : picked) {
                ex.add(((EncodedKto) o).example());
            }
            return encoder.collate(ex);
        }
        throw new IllegalStateException("unknown row type " + first.getClass());
    }
}
