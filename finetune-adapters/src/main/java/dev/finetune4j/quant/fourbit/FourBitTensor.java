package dev.finetune4j.quant.fourbit;

import dev.finetune4j.quant.blockwise.BlockScales;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.stream.IntStream;

/**
 * A flat float32 tensor in bitsandbytes' 4-bit blockwise format ({@code quantize_4bit}): blocks of {@link #BLOCK}
 * consecutive values, per block {@code absmax = max |x|}; each value times {@code 1/absmax} (float) gets its
 * {@link FourBitType} code; two codes per byte, element {@code 2j} in the <b>high</b> nibble and {@code 2j+1} in the
 * low one (an odd last element pairs with the code of 0). The block absmax values are kept as {@link BlockScales}
 * (float32, or double-quantized). Dequantization: {@code value(code) · absmax} in float32.
 *
 * <p>Both directions run in parallel over runs of blocks; dequantization writes straight into the destination
 * buffer (a dense array's NIO view). The codes live on the Java heap in chunks of 256 KiB: one array per weight would
 * be a G1 "humongous" object, which occupies whole heap regions (measured: a 2.2 MB array took 4 MB).
 */
public final class FourBitTensor {
    /** bitsandbytes' (and QLoRA's) block size. */
    public static final int BLOCK = 64;
    /** Blocks per parallel task (a 64 KiB run of floats, 8 KiB of codes). */
    private static final int TASK_BLOCKS = 256;
    /** Bytes of codes per heap array (a whole number of tasks). */
    static final int CHUNK_BYTES = 1 << 18;
    private static final int CHUNK_SHIFT = 18;

    private final FourBitType type;
    private final long length;
    private final byte[][] chunks;
    private final BlockScales scales;

    private FourBitTensor(FourBitType type, long length, byte[][] chunks, BlockScales scales) {
        this.type = type;
        this.length = length;
        this.chunks = chunks;
        this.scales = scales;
    }

    public FourBitType type() {
        return type;
    }

    /** Number of values. */
    public long length() {
        return length;
    }

    public BlockScales scales() {
        return scales;
    }

    /** The {@code ceil(length / 2)} packed code bytes (a copy in one array). */
    public byte[] packed() {
        byte[] out = new byte[(int) ((length + 1) / 2)];
        for (int c = 0; c < chunks.length; c++) {
            System.arraycopy(chunks[c], 0, out, c * CHUNK_BYTES, chunks[c].length);
        }
        return out;
    }

    private static byte[][] allocate(int bytes) {
        int n = (bytes + CHUNK_BYTES - 1) / CHUNK_BYTES;
        byte[][] out = new byte[n][];
        for (int c = 0; c < n; c++) {
            out[c] = new byte[Math.min(CHUNK_BYTES, bytes - c * CHUNK_BYTES)];
        }
        return out;
    }
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[TASK_BLOCKS * BLOCK]);

    /** Where values come from: element {@code i} of a flat tensor, as float. */
    @FunctionalInterface
    public interface Values {
        float get(int i);
    }

    /** Quantizes {@code values}. */
    public static FourBitTensor quantize(FourBitType type, float[] values, boolean doubleQuantization) {
        return quantize(type, i -> values[i], values.length, doubleQuantization);
    }

    /** Quantizes {@code length} values read from {@code source} (called concurrently for distinct indices). */
    public static FourBitTensor quantize(FourBitType type, Values source, long length, boolean doubleQuantization) {
        if (length <= 0 || length > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a 4-bit tensor holds 1 to 2^31 - 9 values, not " + length);
        }
        int n = (int) length;
        int blocks = (n + BLOCK - 1) / BLOCK;
        byte[][] chunks = allocate((n + 1) / 2);
        float[] absmax = new float[blocks];
        int tasks = (blocks + TASK_BLOCKS - 1) / TASK_BLOCKS;
        IntStream range = IntStream.range(0, tasks);
        (tasks > 1 ? range.parallel() : range).forEach(t -> {
            float[] x = new float[BLOCK];
            int lastBlock = Math.min(blocks, (t + 1) * TASK_BLOCKS);
            for (int b = t * TASK_BLOCKS; b < lastBlock; b++) {
                int from = b * BLOCK;
                int count = Math.min(BLOCK, n - from);
                float m = -Float.MAX_VALUE;
                for (int j = 0; j < count; j++) {
                    x[j] = source.get(from + j);
                    m = Math.max(m, Math.abs(x[j]));
                }
                for (int j = count; j < BLOCK; j++) {
                    x[j] = 0f; // the kernel loads the tail of a partial block as zeros
                }
                absmax[b] = m;
                float inv = 1.0f / m;  // kernel: smem_absmax_value = 1.0f / local_abs_max; x * that
                int bytes = (count + 1) / 2;
                int p = from >> 1;
                byte[] chunk = chunks[p >>> CHUNK_SHIFT];
                int at = p & (CHUNK_BYTES - 1);
                for (int j = 0; j < bytes; j++) {
                    int hi = type.code(x[2 * j] * inv);
                    int lo = type.code(x[2 * j + 1] * inv);
                    chunk[at + j] = (byte) (hi << 4 | lo);
                }
            }
        });
        BlockScales scales = doubleQuantization ? BlockScales.doubleQuantized(absmax) : BlockScales.plain(absmax);
        return new FourBitTensor(type, length, chunks, scales);
    }

    /** The code of element {@code i}. */
    public int code(long i) {
        int p = (int) (i >> 1);
        int b = chunks[p >>> CHUNK_SHIFT][p & (CHUNK_BYTES - 1)] & 0xFF;
        return (i & 1) == 0 ? b >>> 4 : b & 0x0F;
    }

    /** Bytes kept: packed codes plus scales. */
    public long storageBytes() {
        return (length + 1) / 2 + scales.bytes();
    }

    /** All values dequantized (a new array). */
    public float[] dequantize() {
        float[] out = new float[(int) length];
        FloatBuffer fb = FloatBuffer.wrap(out);
        dequantizeInto(fb);
        return out;
    }

    /** Writes the {@link #length} dequantized values to {@code out[0 .. length)} (absolute puts, parallel). */
    public void dequantizeInto(FloatBuffer out) {
        float[] absmax = scales.decode();
        run((from, count, firstBlock) -> {
            float[] tmp = SCRATCH.get();
            fill(tmp, from, count, firstBlock, absmax);
            out.put(from, tmp, 0, count);
        });
    }

    /** As {@link #dequantizeInto(FloatBuffer)}, widened to double (gradient checks in DOUBLE). */
    public void dequantizeInto(DoubleBuffer out) {
        float[] absmax = scales.decode();
        run((from, count, firstBlock) -> {
            float[] tmp = SCRATCH.get();
            fill(tmp, from, count, firstBlock, absmax);
            for (int i = 0; i < count; i++) {
                out.put(from + i, tmp[i]);
            }
        });
    }

    @FunctionalInterface
    private interface Task {
        void run(int from, int count, int firstBlock);
    }

    private void run(Task task) {
        int n = (int) length;
        int blocks = (n + BLOCK - 1) / BLOCK;
        int tasks = (blocks + TASK_BLOCKS - 1) / TASK_BLOCKS;
        IntStream range = IntStream.range(0, tasks);
        (tasks > 1 ? range.parallel() : range).forEach(t -> {
            int firstBlock = t * TASK_BLOCKS;
            int from = firstBlock * BLOCK;
            int count = Math.min(TASK_BLOCKS * BLOCK, n - from);
            task.run(from, count, firstBlock);
        });
    }

    /** Dequantizes {@code count} values starting at {@code from} (a block boundary) into {@code tmp[0 .. count)}. */
    private void fill(float[] tmp, int from, int count, int firstBlock, float[] absmax) {
        float[] hi = type.highValue;
        float[] lo = type.lowValue;
        int pairs = count >> 1;
        int first = from >> 1;   // a task never crosses a chunk
        byte[] p = chunks[first >>> CHUNK_SHIFT];
        int base = first & (CHUNK_BYTES - 1);
        for (int j = 0; j < pairs; j++) {
            float s = absmax[firstBlock + (j >> 5)];   // 32 bytes per block of 64
            int b = p[base + j] & 0xFF;
            tmp[2 * j] = hi[b] * s;
            tmp[2 * j + 1] = lo[b] * s;
        }
        if ((count & 1) != 0) {
            int j = pairs;
            tmp[2 * j] = hi[p[base + j] & 0xFF] * absmax[firstBlock + (j >> 5)];
        }
    }
}
