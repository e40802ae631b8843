package dev.finetune4j.model;

import dev.finetune4j.model.layers.Tensors;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Keys and values of past positions for incremental decoding of one sequence: per layer, K and V as
 * {@code [kvHeads, capacity, headDim]} (keys after RoPE). {@link #length()} positions are filled.
 */
public final class KvCache implements AutoCloseable {
    private final List<INDArray> keys = new ArrayList<>();
    private final List<INDArray> values = new ArrayList<>();
    private final int capacity;
    private final int kvHeads;
    private final int headDim;
    private int length;

    public KvCache(ModelConfig config, int capacity, DataType dtype) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("KV cache capacity must be > 0, got " + capacity);
        }
        this.capacity = capacity;
        this.kvHeads = config.numKeyValueHeads();
        this.headDim = config.headDim();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            keys.add(Nd4j.create(dtype, kvHeads, capacity, headDim));
            values.add(Nd4j.create(dtype, kvHeads, capacity, headDim));
        }
    }

    /** Positions already cached. */
    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    /** Forgets everything (keeps the buffers). */
    public void clear() {
        length = 0;
    }

    /** Keeps only the first {@code n} positions (e.g. to reuse a shared prompt prefix). */
    public void truncate(int n) {
        if (n < 0 || n > length) {
            throw new IllegalArgumentException("cannot truncate a cache of " + length + " positions to " + n);
        }
        length = n;
    }

    /**
     * Writes {@code k} and {@code v} ({@code [kvHeads, n, headDim]}) of layer {@code layer} at positions
     * {@code length .. length+n-1}. The length itself advances with {@link #advance(int)} once all layers wrote.
     */
    public void write(int layer, INDArray k, INDArray v) {
        long n = k.size(1);
        if (length + n > capacity) {
            throw new IllegalStateException("KV cache full: " + length + " + " + n + " > capacity " + capacity);
        }
        keys.get(layer).get(NDArrayIndex.all(), NDArrayIndex.interval(length, length + n), NDArrayIndex.all()).assign(k);
        values.get(layer).get(NDArrayIndex.all(), NDArrayIndex.interval(length, length + n), NDArrayIndex.all()).assign(v);
    }

    /** The first {@code len} cached keys of kv head {@code g} of a layer, a {@code [len, headDim]} view. */
    public INDArray keys(int layer, int g, int len) {
        return Tensors.block(keys.get(layer), (long) g * capacity * headDim, len, headDim);
    }

    /** The first {@code len} cached values of kv head {@code g} of a layer, a {@code [len, headDim]} view. */
    public INDArray values(int layer, int g, int len) {
        return Tensors.block(values.get(layer), (long) g * capacity * headDim, len, headDim);
    }

    /** Marks {@code n} more positions as filled (after every layer wrote them). */
    public void advance(int n) {
        length += n;
    }

    @Override
    public void close() {
        keys.forEach(Tensors::close);
        values.forEach(Tensors::close);
        keys.clear();
        values.clear();
    }
}
