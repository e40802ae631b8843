package dev.finetune4j.train.memory;

import dev.finetune4j.model.CausalLM;
import dev.finetune4j.model.ModelConfig;
import dev.finetune4j.quant.Quantizer;
import dev.finetune4j.quant.Quantizers;
import java.util.Map;

/**
 * Estimates a training run's peak memory from the model's config.json, modelled on this engine's own buffers (fp32
 * compute; see {@link MemoryEstimate} for the components):
 * <ul>
 *   <li>weights: every tensor of {@link CausalLM#parameterShapes} in fp32, except, for QLoRA, the linear layers but
 *       the head at the quantizer's {@link Quantizer#storageBytes} (NF4 + double quantization ≈ 4.13 bits, INT8 ≈ 8);
 *       LoRA adds r·(in + out) per adapted layer;</li>
 *   <li>gradients and AdamW moments: 4 + 8 bytes per trainable parameter;</li>
 *   <li>activations at {@code batch × cutoff} rows N: per decoder layer the kept tensors of the hand-written layers —
 *       two RMSNorm outputs and their normalised inputs (4·N·hidden), q, attention output (2·N·heads·d), k and v
 *       (2·N·kvHeads·d), the softmax probabilities (batch·heads·cutoff²), gate, up and their product (3·N·inter), and
 *       LoRA's N·r per adapted layer (dropout > 0 also keeps its masks); with activation checkpointing only each
 *       layer's input (N·hidden) plus one layer's set; then the final norm, and the fused loss's logits chunk
 *       (min(N, 64 Mi / vocab) rows × vocab) and hidden-size gradient;</li>
 *   <li>temporaries: one layer's backward (dP, dQ/dK/dV, three N·inter and two N·hidden gradients), for QLoRA one
 *       dequantized matrix per size class (q/o, k/v, gate/up/down) held by the buffer pool, and AdamW's per-tensor
 *       scratch (outside the model's pool: freed by the garbage collector, so up to one copy of every trainable
 *       tensor);</li>
 *   <li>the buffer pool rounds sizes up by at most 12.5 % (counted as 6 % on activations and temporaries);</li>
 *   <li>runtime: a constant 210 MiB (JVM, heap in use, ND4J's native libraries and caches), fitted to the
 *       measurements.</li>
 * </ul>
 * Calibrated against measured peak RSS (VmHWM) of training steps on random models: see the report of issue 8.
 */
public final class MemoryEstimator {
    /** JVM, ND4J and tokenizer baseline, measured (VmRSS of a training process before the model loads). */
    public static final long RUNTIME_BYTES = 210L << 20;
    private static final double POOL_SLACK = 1.06;
    private static final long LOSS_CHUNK_ELEMENTS = 64L << 20;

    /** Settings beyond the method. */
    public record Options(int batch, int cutoff, int loraRank, double loraDropout, int freezeTrainableLayers,
                          boolean activationCheckpointing) {
        public Options {
            if (batch < 1 || cutoff < 1) {
                throw new IllegalArgumentException("batch and cutoff must be at least 1");
            }
        }

        /** LLaMA-Factory's defaults: rank 8, dropout 0, 2 trainable layers for freeze, no checkpointing. */
        public static Options of(int batch, int cutoff) {
            return new Options(batch, cutoff, 8, 0, 2, false);
        }

        public Options withLoraRank(int r) {
            return new Options(batch, cutoff, r, loraDropout, freezeTrainableLayers, activationCheckpointing);
        }

        public Options withActivationCheckpointing(boolean on) {
            return new Options(batch, cutoff, loraRank, loraDropout, freezeTrainableLayers, on);
        }
    }

    private MemoryEstimator() {
    }

    public static MemoryEstimate estimate(ModelConfig c, TuningMethod method, Options o) {
        long h = c.hiddenSize();
        long d = c.headDim();
        long heads = c.numAttentionHeads();
        long kv = c.numKeyValueHeads();
        long inter = c.intermediateSize();
        long vocab = c.vocabSize();
        int layers = c.numHiddenLayers();
        Map<String, long[]> shapes = CausalLM.parameterShapes(c);
        boolean lora = method == TuningMethod.LORA || method == TuningMethod.QLORA_4 || method == TuningMethod.QLORA_8;
        Quantizer q = method == TuningMethod.QLORA_4 ? Quantizers.nf4()
                : method == TuningMethod.QLORA_8 ? Quantizers.int8() : null;

        long total = 0;
        long weights = 0;
        long trainable = 0;
        int firstTrainableLayer = Math.max(0, layers - o.freezeTrainableLayers());
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            String name = e.getKey();
            long[] s = e.getValue();
            long n = s.length == 1 ? s[0] : s[0] * s[1];
            total += n;
            boolean linear = s.length == 2 && name.startsWith("model.layers.") && name.endsWith("_proj.weight");
            weights += q != null && linear ? q.storageBytes(s[0], s[1]) : 4 * n;
            boolean trains = switch (method) {
                case FULL -> true;
                case FREEZE -> name.startsWith("model.layers.") && layerOf(name) >= firstTrainableLayer;
                default -> false;
            };
            if (lora && linear) {
                long adapter = (long) o.loraRank() * (s[0] + s[1]);
                total += adapter;
                weights += 4 * adapter;
                trainable += adapter;
            } else if (trains) {
                trainable += n;
            }
        }
        long gradients = 4 * trainable;
        long optimizer = 8 * trainable;

        long rows = (long) o.batch() * o.cutoff();
        long t = o.cutoff();
        long perLayer = 4 * rows * h + 2 * rows + 2 * rows * heads * d + 2 * rows * kv * d
                + (long) o.batch() * heads * t * t + 3 * rows * inter;
        if (lora) {
            perLayer += 7L * rows * o.loraRank();
            if (o.loraDropout() > 0) {
                perLayer += rows * (5 * h + heads * d + inter);   // the inverted masks of the 7 inputs
            }
        }
        long chunkRows = Math.min(rows, Math.max(1, LOSS_CHUNK_ELEMENTS / vocab));
        long tail = 3 * rows * h + rows + chunkRows * (vocab + h);
        long activationFloats = (o.activationCheckpointing() ? layers * rows * h + perLayer : layers * perLayer) + tail;
        long backward = (long) o.batch() * heads * t * t + rows * (heads * d + 2 * kv * d) + 3 * rows * inter
                + 2 * rows * h;
        long dequantized = q == null ? 0 : 4 * h * (heads * d + kv * d + inter);
        long activations = (long) (POOL_SLACK * 4 * activationFloats);
        long temporaries = (long) (POOL_SLACK * 4 * backward) + dequantized + 4 * trainable;
        return new MemoryEstimate(method, weights, gradients, optimizer, activations, temporaries, RUNTIME_BYTES,
                trainable, total);
    }

    private static int layerOf(String name) {
        String rest = name.substring("model.layers.".length());
        return Integer.parseInt(rest.substring(0, rest.indexOf('.')));
    }

    /**
     * LLaMA-Factory's rule of thumb (FORMATS.md §H.1, GPU memory of an x-billion-parameter model) in bytes, for the
     * method's row: full (AMP) 18x GB, freeze / LoRA 2x, QLoRA-8 x, QLoRA-4 x/2.
     */
    public static long ruleOfThumb(TuningMethod method, long parameters) {
        double x = parameters / 1e9;
        double gb = switch (method) {
            case FULL -> 18 * x;
            case FREEZE, LORA -> 2 * x;
            case QLORA_8 -> x;
            case QLORA_4 -> x / 2;
        };
        return (long) (gb * 1e9);
    }
}
