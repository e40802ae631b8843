package dev.finetune4j.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune4j.io.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Writes safetensors files as the reference writer does: tensors ordered by descending dtype size then name,
 * header padded with spaces to a multiple of 8, little-endian C-order data. Files are written atomically
 * (temporary file, then rename).
 *
 * <pre>{@code
 * new SafetensorsWriter()
 *     .put("model.norm.weight", norm, SafeDType.BF16)
 *     .putRaw("layer.weight", SafeDType.U8, new long[] {n}, packedBytes)
 *     .metadata("format", "pt")
 *     .write(Path.of("model.safetensors"));
 * }</pre>
 */
public final class SafetensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Produces the values of a tensor one after another in C order (see {@link #putGenerated}). */
    @FunctionalInterface
    public interface FloatSource {
        float next();
    }

    private record Entry(String name, SafeDType dtype, long[] shape, INDArray array, byte[] raw, FloatSource source) {
        long byteSize() {
            long n = dtype.bytes();
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }
    }

    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    /** Adds an array, stored as {@code dtype} (F32, F16, BF16 or F64; converted with round-to-nearest-even). */
    public SafetensorsWriter put(String name, INDArray array, SafeDType dtype) {
        if (!dtype.isConvertibleFloat()) {
            throw new IllegalArgumentException(name + ": arrays are stored as F32, F16, BF16 or F64, not " + dtype);
        }
        add(new Entry(name, dtype, array.shape(), array, null, null));
        return this;
    }

    /** Adds pre-encoded little-endian bytes (integer or packed quantized tensors). */
    public SafetensorsWriter putRaw(String name, SafeDType dtype, long[] shape, byte[] bytes) {
        Entry e = new Entry(name, dtype, shape.clone(), null, bytes.clone(), null);
        if (e.byteSize() != bytes.length) {
            throw new IllegalArgumentException(name + ": " + bytes.length + " bytes given, shape and dtype need "
                    + e.byteSize());
        }
        add(e);
        return this;
    }

    /**
     * Adds a tensor whose values are produced while the file is written ({@code source.next()} is called once per
     * element, in C order, when this tensor's turn comes): a large generated model is written without ever
     * holding its weights in memory. Stored as F32, F16, BF16 or F64.
     */
    public SafetensorsWriter putGenerated(String name, SafeDType dtype, long[] shape, FloatSource source) {
        if (!dtype.isConvertibleFloat()) {
            throw new IllegalArgumentException(name + ": generated tensors are stored as F32, F16, BF16 or F64, not "
                    + dtype);
        }
        add(new Entry(name, dtype, shape.clone(), null, null, Objects.requireNonNull(source, "source")));
        return this;
    }

    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(Objects.requireNonNull(key), Objects.requireNonNull(value));
        return this;
    }

    private void add(Entry e) {
        if (e.name.equals("__metadata__")) {
            throw new IllegalArgumentException("__metadata__ is reserved");
        }
        if (entries.putIfAbsent(e.name, e) != null) {
            throw new IllegalArgumentException("duplicate tensor name " + e.name);
        }
    }

    /** Total bytes of tensor data added so far. */
    public long dataBytes() {
        return entries.values().stream().mapToLong(Entry::byteSize).sum();
    }

    public void write(Path file) throws IOException {
        List<Entry> ordered = new ArrayList<>(entries.values());
        ordered.sort(Comparator.comparingInt((Entry e) -> -e.dtype.bytes()).thenComparing(Entry::name));
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = header.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (Entry e : ordered) {
            ObjectNode t = header.putObject(e.name);
            t.put("dtype", e.dtype.name());
            ArrayNode shape = t.putArray("shape");
            for (long d : e.shape) {
                shape.add(d);
            }
            long size = e.byteSize();
            t.putArray("data_offsets").add(offset).add(offset + size);
            offset += size;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 8 + 7) / 8 * 8 - 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        AtomicFiles.writeChannel(file, ch -> {
            writeAll(ch, head);
            ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (Entry e : ordered) {
                if (e.raw != null) {
                    writeAll(ch, ByteBuffer.wrap(e.raw));
                } else if (e.source != null) {
                    writeGenerated(ch, e, chunk);
                } else {
                    writeArray(ch, e, chunk);
                }
            }
        });
    }

    private static void writeArray(FileChannel ch, Entry e, ByteBuffer chunk) throws IOException {
        INDArray a = e.array;
        if (a.length() == 0) {
            return;
        }
        boolean dense = a.ordering() == 'c' && !a.isView() && a.length() == a.data().length();
        INDArray src = dense ? a : a.dup('c');
        long n = src.length();
        boolean isDouble = src.dataType() == DataType.DOUBLE;
        boolean fastFloat = e.dtype == SafeDType.F32 && src.dataType() == DataType.FLOAT && n * 4 <= Integer.MAX_VALUE;
        if (fastFloat) {
            ByteBuffer view = src.data().asNio().order(ByteOrder.nativeOrder()).duplicate();
            view.limit((int) (n * 4));
            if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
                writeAll(ch, view);
                return;
            }
        }
        int width = e.dtype.bytes();
        java.nio.FloatBuffer floats = !isDouble && n * 4 <= Integer.MAX_VALUE
                ? src.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer() : null;
        chunk.clear();
        for (long i = 0; i < n; i++) {
            double v = floats != null ? floats.get((int) i) : isDouble ? src.data().getDouble(i) : src.data().getFloat(i);
            switch (e.dtype) {
                case F32 -> chunk.putFloat((float) v);
                case F64 -> chunk.putDouble(v);
                case BF16 -> chunk.putShort(HalfFloats.floatToBf16((float) v));
                case F16 -> chunk.putShort(HalfFloats.floatToF16((float) v));
                default -> throw new IllegalStateException(e.dtype.name());
            }
            if (chunk.remaining() < width) {
                chunk.flip();
                writeAll(ch, chunk);
                chunk.clear();
            }
        }
        chunk.flip();
        writeAll(ch, chunk);
    }

    private static void writeGenerated(FileChannel ch, Entry e, ByteBuffer chunk) throws IOException {
        long n = e.byteSize() / e.dtype.bytes();
        int width = e.dtype.bytes();
        chunk.clear();
        for (long i = 0; i < n; i++) {
            float v = e.source.next();
            switch (e.dtype) {
                case F32 -> chunk.putFloat(v);
                case F64 -> chunk.putDouble(v);
                case BF16 -> chunk.putShort(HalfFloats.floatToBf16(v));
                case F16 -> chunk.putShort(HalfFloats.floatToF16(v));
                default -> throw new IllegalStateException(e.dtype.name());
            }
            if (chunk.remaining() < width) {
                chunk.flip();
                writeAll(ch, chunk);
                chunk.clear();
            }
        }
        chunk.flip();
        writeAll(ch, chunk);
    }

    private static void writeAll(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    static String headerText(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(len, 0);
            ByteBuffer h = ByteBuffer.allocate((int) len.getLong(0));
            ch.read(h, 8);
            return new String(h.array(), StandardCharsets.UTF_8);
        }
    }
}
