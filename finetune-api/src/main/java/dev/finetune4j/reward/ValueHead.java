package dev.finetune4j.reward;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.checkpoint.SafeDType;
import dev.finetune4j.checkpoint.SafetensorsFile;
import dev.finetune4j.checkpoint.SafetensorsWriter;
import dev.finetune4j.nn.DenseLinear;
import dev.finetune4j.nn.DenseWeight;
import dev.finetune4j.nn.Parameter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * TRL's value head, {@code Linear(hidden, 1)} with bias, on a causal LM's final (post-norm) hidden states: one
 * scalar per token. The reward model reads it at each sequence's last token; PPO's critic at every response token.
 *
 * <p>Stored as LLaMA-Factory/TRL store it next to the adapter: {@value #FILE_NAME} with
 * {@code v_head.summary.weight} {@code [1, hidden]} and {@code v_head.summary.bias} {@code [1]} (F32). TRL puts a
 * dropout (p = 0.1) before the linear layer while training; this head has none.
 */
public final class ValueHead {
    public static final String FILE_NAME = "value_head.safetensors";
    public static final String WEIGHT = "v_head.summary.weight";
    public static final String BIAS = "v_head.summary.bias";

    private final Parameter weight;
    private final Parameter bias;
    private final DenseLinear linear;

    private ValueHead(Parameter weight, Parameter bias) {
        this.weight = weight;
        this.bias = bias;
        this.linear = new DenseLinear("v_head.summary", new DenseWeight(weight), bias);
    }

    /**
     * A new, trainable head initialised as {@code torch.nn.Linear}: weight and bias uniform in
     * {@code ±1/√hidden}, from {@code seed}.
     */
    public static ValueHead create(int hidden, DataType dtype, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double bound = 1 / Math.sqrt(hidden);
        double[] w = new double[hidden];
        for (int i = 0; i < hidden; i++) {
            w[i] = (2 * random.nextDouble() - 1) * bound;
        }
        INDArray weight = Nd4j.createFromArray(w).castTo(dtype).reshape(1, hidden);
        INDArray bias = Nd4j.createFromArray(new double[] {(2 * random.nextDouble() - 1) * bound}).castTo(dtype);
        return new ValueHead(new Parameter(WEIGHT, weight, true), new Parameter(BIAS, bias, true));
    }

    /** The head saved in {@code dir} ({@value #FILE_NAME}), for a model with {@code hidden} units. */
    public static ValueHead load(Path dir, int hidden, DataType dtype, boolean trainable) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) {
            throw new FineTuneException(dir + " has no " + FILE_NAME + ": it is not a reward model folder (train one "
                    + "with stage: rm)");
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (String name : List.of(WEIGHT, BIAS)) {
                if (!f.contains(name)) {
                    throw new FineTuneException(file + ": no tensor " + name);
                }
            }
            INDArray w = f.load(WEIGHT, dtype);
            INDArray b = f.load(BIAS, dtype).reshape(1);
            if (!Arrays.equals(w.shape(), new long[] {1, hidden})) {
                throw new FineTuneException(file + ": " + WEIGHT + " has shape " + Arrays.toString(w.shape())
                        + " but the model's hidden size is " + hidden);
            }
            return new ValueHead(new Parameter(WEIGHT, w, trainable), new Parameter(BIAS, b, trainable));
        }
    }

    /** Writes {@value #FILE_NAME} into {@code dir} (F32, atomically). */
    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        new SafetensorsWriter()
                .put(WEIGHT, weight.value(), SafeDType.F32)
                .put(BIAS, bias.value(), SafeDType.F32)
                .write(dir.resolve(FILE_NAME));
    }

    /** Values {@code [rows, 1]} of hidden states {@code [rows, hidden]}; with {@code training}, kept for backward. */
    public INDArray forward(INDArray hiddenRows, boolean training) {
        return linear.forward(hiddenRows, training);
    }

    /** Gradient w.r.t. the hidden rows of the last training forward, given {@code d/d value} {@code [rows, 1]}. */
    public INDArray backward(INDArray dValues) {
        INDArray dx = linear.backward(dValues);
        linear.clearCache();
        return dx;
    }

    /** Weight and bias, in that order. */
    public List<Parameter> parameters() {
        return List.of(weight, bias);
    }
}
