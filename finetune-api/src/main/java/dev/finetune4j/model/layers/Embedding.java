package dev.finetune4j.model.layers;

import dev.finetune4j.nn.Parameter;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Token embedding: row {@code ids[i]} of {@code W [vocab, hidden]}; its gradient adds rows back (when it trains). */
public final class Embedding {
    private final Parameter weight;
    private int[] cachedIds;

    public Embedding(Parameter weight) {
        if (weight.value().rank() != 2) {
            throw new IllegalArgumentException(weight.name() + ": an embedding must be 2-D [vocab, hidden]");
        }
        this.weight = weight;
    }

    public Parameter weight() {
        return weight;
    }

    /** {@code [ids.length, hidden]}, a new array. */
    public INDArray forward(int[] ids, boolean training) {
        long vocab = weight.value().size(0);
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw new IllegalArgumentException("token id " + ids[i] + " at position " + i
                        + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        cachedIds = training ? ids.clone() : null;
        INDArray out = Tensors.take(weight.value().dataType(), ids.length, weight.value().size(1));
        return Nd4j.pullRows(weight.value(), out, 1, ids);
    }

    /** Adds {@code dx [ids, hidden]} into the rows of the weight gradient; nothing when the weight is frozen. */
    public void backward(INDArray dx) {
        if (cachedIds == null) {
            throw new IllegalStateException(weight.name() + ": backward without a training forward");
        }
        if (weight.trainable()) {
            INDArray grad = weight.gradAccumulator();
            for (int i = 0; i < cachedIds.length; i++) {
                grad.getRow(cachedIds[i]).addi(dx.getRow(i));
            }
        }
        cachedIds = null;
    }
}
