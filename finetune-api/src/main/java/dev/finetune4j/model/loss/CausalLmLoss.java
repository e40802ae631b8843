package dev.finetune4j.model.loss;

import dev.finetune4j.data.EncodedExample;
import dev.finetune4j.model.OpTimings;
import dev.finetune4j.model.layers.Tensors;
import dev.finetune4j.nn.ArrayPool;
import dev.finetune4j.nn.Linear;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The causal-LM losses, fused with the LM head and chunked over rows so that no more than one
 * {@code [chunk, vocab]} logits buffer exists at a time (a 0.5B Qwen has a 151,936-token vocabulary).
 *
 * <p>Inputs: {@code hidden [rows, hidden]}, the final-norm output of {@code rows = batch·seq} tokens, and
 * {@code targets[rows]}, the label each row is scored against <em>after</em> the shift ({@link #shiftedTargets}:
 * row {@code b·T+t} predicts {@code labels[b, t+1]}), {@link EncodedExample#IGNORE_INDEX} for none. Rows without a
 * target are skipped entirely (no logits are computed for a masked prompt).
 *
 * <ul>
 *   <li>{@link #crossEntropy}: HuggingFace's ForCausalLMLoss, {@code Σ nll / normaliser}; with a gradient, the
 *       logits of a chunk are turned into {@code (softmax − onehot) / normaliser} in place and pushed through the
 *       LM head's backward at once (one pass). The caller picks the normaliser: the label count of this batch
 *       (the mean) or, under gradient accumulation, the label count of all accumulated micro-batches.</li>
 *   <li>{@link #tokenLogProbs} / {@link #sequenceLogProbs}: log p(target) per token or summed per sequence
 *       (preference losses); {@link #tokenLogProbsBackward} takes an upstream gradient per token (or
 *       {@link #sequenceLogProbsBackward} per sequence) and recomputes the chunk logits (two passes).</li>
 * </ul>
 */
public final class CausalLmLoss {
    /**
     * Default chunk budget: 64 Mi logits (256 MiB in float) per chunk, e.g. 441 rows of a 151,936-token vocabulary.
     * Every chunk streams the whole LM-head matrix twice (forward and input gradient), so fewer, larger chunks are
     * faster: Qwen2.5-0.5B shape, 255 rows, 3 chunks 1.12 s vs 1 chunk 0.61 s (measured). Lower it through
     * {@link dev.finetune4j.model.ModelOptions#lossChunkElements} where memory is tight.
     */
    public static final long DEFAULT_CHUNK_ELEMENTS = 64L << 20;
    private static final double TINY_PROB = 1e-30;

    private CausalLmLoss() {
    }

    /** Sum of negative log-likelihoods over {@code tokens} targets; {@code hiddenGrad} when asked for. */
    public record Result(double nllSum, long tokens, double normaliser, INDArray hiddenGrad) {
        /** The loss as the caller normalised it: {@code nllSum / normaliser}. */
        public double loss() {
            return normaliser > 0 ? nllSum / normaliser : 0.0;
        }

        /** Mean negative log-likelihood per target token. */
        public double meanNll() {
            return tokens > 0 ? nllSum / tokens : 0.0;
        }
    }

    /** {@code labels [batch·seq]} (row-major) → targets after the shift: row b·T+t gets labels[b, t+1]. */
    public static int[] shiftedTargets(int[] labels, int batch, int seq) {
        if (labels.length != batch * seq) {
            throw new IllegalArgumentException("labels has " + labels.length + " entries, expected " + batch * seq);
        }
        int[] out = new int[labels.length];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < seq; t++) {
                out[b * seq + t] = t + 1 < seq ? labels[b * seq + t + 1] : EncodedExample.IGNORE_INDEX;
            }
        }
        return out;
    }

    /** Number of rows with a target. */
    public static long countTargets(int[] targets) {
        return Arrays.stream(targets).filter(t -> t != EncodedExample.IGNORE_INDEX).count();
    }

    /**
     * Cross-entropy {@code Σ nll / normaliser} over rows with a target.
     *
     * @param normaliser    what the summed nll is divided by (loss and gradient); {@code <= 0} means this call's
     *                      target count (the mean, as HF without {@code num_items_in_batch})
     * @param withGradient  also compute {@code d loss / d hidden} (and the LM head's parameter gradients); the LM
     *                      head must then be safe to run forward/backward chunk by chunk (every {@link Linear} is)
     */
    public static Result crossEntropy(Linear lmHead, INDArray hidden, int[] targets, double normaliser,
                                      boolean withGradient, long chunkElements) {
        long tokens = countTargets(targets);
        double norm = normaliser > 0 ? normaliser : Math.max(1, tokens);
        double[] nll = new double[targets.length];
        INDArray grad = withGradient ? ArrayPool.takeZeros(hidden.dataType(), hidden.shape()) : null;
        // a frozen LM head takes the 1/normaliser on the small [rows, hidden] gradient instead of the logits
        boolean headTrains = lmHead.parameters().stream().anyMatch(dev.finetune4j.nn.Parameter::trainable);
        forEachChunk(lmHead, hidden, targets, chunkElements, withGradient, (rows, probs) -> {
            readLogProbs(probs, rows, targets, nll);
            if (withGradient) {
                for (int i = 0; i < rows.length; i++) {
                    probs.putScalar(i, targets[rows[i]], probs.getDouble(i, targets[rows[i]]) - 1.0);
                }
                if (headTrains) {
                    probs.muli(1.0 / norm);
                }
            }
            return withGradient;
        }, grad);
        if (withGradient && !headTrains) {
            grad.muli(1.0 / norm);
        }
        fixUnderflow(lmHead, hidden, targets, nll);
        double sum = 0;
        for (int i = 0; i < targets.length; i++) {
            if (targets[i] != EncodedExample.IGNORE_INDEX) {
                sum += nll[i];
            }
        }
        return new Result(sum, tokens, norm, grad);
    }

    /** {@link #crossEntropy} with the default chunk size. */
    public static Result crossEntropy(Linear lmHead, INDArray hidden, int[] targets, double normaliser,
                                      boolean withGradient) {
        return crossEntropy(lmHead, hidden, targets, normaliser, withGradient, DEFAULT_CHUNK_ELEMENTS);
    }

    /** {@code log p(target)} per row; 0 for rows without a target. No gradients. */
    public static double[] tokenLogProbs(Linear lmHead, INDArray hidden, int[] targets, long chunkElements) {
        double[] nll = new double[targets.length];
        forEachChunk(lmHead, hidden, targets, chunkElements, false, (rows, probs) -> {
            readLogProbs(probs, rows, targets, nll);
            return false;
        }, null);
        fixUnderflow(lmHead, hidden, targets, nll);
        double[] out = new double[nll.length];
        for (int i = 0; i < nll.length; i++) {
            out[i] = targets[i] == EncodedExample.IGNORE_INDEX ? 0.0 : -nll[i];
        }
        return out;
    }

    /** Per sequence of {@code seq} rows: the sum of {@code log p(target)} over its target tokens. */
    public static double[] sequenceLogProbs(Linear lmHead, INDArray hidden, int[] targets, int seq,
                                            long chunkElements) {
        double[] tok = tokenLogProbs(lmHead, hidden, targets, chunkElements);
        double[] out = new double[tok.length / seq];
        for (int i = 0; i < tok.length; i++) {
            out[i / seq] += tok[i];
        }
        return out;
    }

    /**
     * {@code d(Σ_i upstream[i]·log p(target_i)) / d hidden}, recomputing the logits chunk by chunk; the LM head's
     * trainable parameters get their share. {@code upstream} has one entry per row (ignored rows are skipped).
     */
    public static INDArray tokenLogProbsBackward(Linear lmHead, INDArray hidden, int[] targets, double[] upstream,
                                                 long chunkElements) {
        if (upstream.length != targets.length) {
            throw new IllegalArgumentException("upstream has " + upstream.length + " entries for " + targets.length
                    + " rows");
        }
        INDArray grad = ArrayPool.takeZeros(hidden.dataType(), hidden.shape());
        forEachChunk(lmHead, hidden, targets, chunkElements, true, (rows, probs) -> {
            // d log p_t / d logits = onehot − p; times the upstream gradient of each row
            double[] negU = new double[rows.length];
            for (int i = 0; i < rows.length; i++) {
                probs.putScalar(i, targets[rows[i]], probs.getDouble(i, targets[rows[i]]) - 1.0);
                negU[i] = -upstream[rows[i]];
            }
            INDArray scale = Nd4j.createFromArray(negU).castTo(probs.dataType()).reshape(rows.length, 1);
            probs.muliColumnVector(scale);
            Tensors.close(scale);
            return true;
        }, grad);
        return grad;
    }

    /** {@link #tokenLogProbsBackward} with one upstream gradient per sequence of {@code seq} rows. */
    public static INDArray sequenceLogProbsBackward(Linear lmHead, INDArray hidden, int[] targets, int seq,
                                                    double[] upstreamPerSequence, long chunkElements) {
        double[] perToken = new double[targets.length];
        for (int i = 0; i < targets.length; i++) {
            perToken[i] = upstreamPerSequence[i / seq];
        }
        return tokenLogProbsBackward(lmHead, hidden, targets, perToken, chunkElements);
    }

    /** Called with a chunk's rows and their softmax probabilities {@code [rows, vocab]}, which it may modify. */
    private interface ChunkVisitor {
        /** @return true if {@code probs} now holds {@code d/d logits} to push through the LM head's backward */
        boolean visit(int[] rows, INDArray probs);
    }

    private static void forEachChunk(Linear lmHead, INDArray hidden, int[] targets, long chunkElements,
                                     boolean training, ChunkVisitor visitor, INDArray grad) {
        if (hidden.rank() != 2 || hidden.size(0) != targets.length) {
            throw new IllegalArgumentException("hidden must be [rows, hidden] with one target per row; got "
                    + Arrays.toString(hidden.shape()) + " for " + targets.length + " targets");
        }
        int[] valid = Arrays.stream(java.util.stream.IntStream.range(0, targets.length).toArray())
                .filter(i -> targets[i] != EncodedExample.IGNORE_INDEX).toArray();
        long vocab = lmHead.outFeatures();
        for (int r : valid) {
            if (targets[r] < 0 || targets[r] >= vocab) {
                throw new IllegalArgumentException("label " + targets[r] + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        int chunk = (int) Math.max(1, Math.min(valid.length, chunkElements / vocab));
        for (int start = 0; start < valid.length; start += chunk) {
            int[] rows = Arrays.copyOfRange(valid, start, Math.min(valid.length, start + chunk));
            boolean contiguous = rows[rows.length - 1] - rows[0] == rows.length - 1;
            INDArray h = contiguous
                    ? hidden.get(NDArrayIndex.interval(rows[0], rows[0] + rows.length), NDArrayIndex.all())
                    : Nd4j.pullRows(hidden, Tensors.take(hidden.dataType(), rows.length, hidden.size(1)), 1, rows);
            long t0 = OpTimings.start();
            INDArray logits = lmHead.forward(h, training);
            OpTimings.stop("lm_head", t0);
            t0 = OpTimings.start();
            Nd4j.exec(new SoftMax(logits, logits, 1));
            boolean backward = visitor.visit(rows, logits);
            OpTimings.stop("loss.softmax_ce", t0);
            if (backward) {
                t0 = OpTimings.start();
                INDArray dh = lmHead.backward(logits);
                OpTimings.stop("lm_head.bwd", t0);
                scatterRows(grad, rows, dh);
                Tensors.close(dh);
            } else if (training) {
                lmHead.clearCache();
            }
            Tensors.close(logits);
            if (!contiguous) {
                Tensors.close(h);
            }
        }
    }

    /** {@code nll[row] = −log p(target)}; rows whose probability underflowed get NaN, fixed later exactly. */
    private static void readLogProbs(INDArray probs, int[] rows, int[] targets, double[] nll) {
        for (int i = 0; i < rows.length; i++) {
            double p = probs.getDouble(i, targets[rows[i]]);
            nll[rows[i]] = p > TINY_PROB ? -Math.log(p) : Double.NaN;
        }
    }

    /** Recomputes {@code logsumexp − logit} in double for the (rare) rows whose float probability underflowed. */
    private static void fixUnderflow(Linear lmHead, INDArray hidden, int[] targets, double[] nll) {
        for (int r = 0; r < nll.length; r++) {
            if (targets[r] == EncodedExample.IGNORE_INDEX || !Double.isNaN(nll[r])) {
                continue;
            }
            INDArray row = hidden.get(NDArrayIndex.interval(r, r + 1), NDArrayIndex.all());
            INDArray logits = lmHead.forward(row, false);
            double[] z = logits.toDoubleVector();
            Tensors.close(logits);
            double max = Double.NEGATIVE_INFINITY;
            for (double v : z) {
                max = Math.max(max, v);
            }
            double sum = 0;
            for (double v : z) {
                sum += Math.exp(v - max);
            }
            nll[r] = max + Math.log(sum) - z[targets[r]];
        }
    }

    private static void scatterRows(INDArray grad, int[] rows, INDArray src) {
        int i = 0;
        while (i < rows.length) {
            int j = i + 1;
            while (j < rows.length && rows[j] == rows[j - 1] + 1) {
                j++;
            }
            grad.get(NDArrayIndex.interval(rows[i], rows[i] + (j - i)), NDArrayIndex.all())
                    .assign(src.get(NDArrayIndex.interval(i, j), NDArrayIndex.all()));
            i = j;
        }
    }
}
