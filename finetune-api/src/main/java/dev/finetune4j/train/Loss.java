package dev.finetune4j.train;

/**
 * A token-level training loss for the language-modelling stages (pt, sft): a function of the log-probability the
 * model gives each label token. The default, {@link #crossEntropy()}, is HuggingFace's causal-LM loss and runs on
 * a fused path that never materialises log-probabilities; any other loss runs on a two-pass path (log-probs, then
 * their gradient back through the LM head).
 *
 * <p>A user's loss plugs in through {@code FineTuner.builder().loss(...)}. The preference stages use
 * {@link dev.finetune4j.train.loss.SequenceLoss} instead, whose inputs are whole-sequence log-probabilities.
 */
public interface Loss {

    /** A short name for logs. */
    String name();

    /**
     * The loss of one micro-batch and its gradient with respect to each label token's log-probability.
     *
     * @param logProbs   {@code log p(target)} per position of the micro-batch, row-major {@code [batch·seq]}
     *                   (0 where there is no target)
     * @param targets    the target token of each position, {@code -100} where none (already shifted: position t
     *                   predicts token t + 1)
     * @param seqLen     positions per row
     * @param normaliser label tokens of the whole optimizer step (all its micro-batches): a mean-over-tokens loss
     *                   divides by it, so that gradient accumulation gives the same result as one large batch
     * @return this micro-batch's share of the step loss, and d(share)/d(logProbs[i]) per position (0 where no target)
     */
    Value compute(double[] logProbs, int[] targets, int seqLen, double normaliser);

    /** A loss value and its gradient per position. */
    record Value(double loss, double[] gradient) {
    }

    /** HuggingFace's causal-LM cross-entropy: {@code -Σ log p(target) / normaliser}. */
    static Loss crossEntropy() {
        return CrossEntropy.INSTANCE;
    }

    /** The default loss; recognised by the trainer, which then uses the fused LM-head path. */
    final class CrossEntropy implements Loss {
        static final CrossEntropy INSTANCE = new CrossEntropy();

        private CrossEntropy() {
        }

        @Override
        public String name() {
            return "cross_entropy";
        }

        @Override
        public Value compute(double[] logProbs, int[] targets, int seqLen, double normaliser) {
            double[] grad = new double[logProbs.length];
            double sum = 0;
            for (int i = 0; i < logProbs.length; i++) {
                if (targets[i] != dev.finetune4j.data.EncodedExample.IGNORE_INDEX) {
                    sum -= logProbs[i];
                    grad[i] = -1.0 / normaliser;
                }
            }
            return new Value(sum / normaliser, grad);
        }
    }
}
