package dev.finetune4j.checkpoint;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One {@code .safetensors} file, opened for reading (FORMATS.md §D.6). The header is untrusted input and is
 * checked completely when the file is opened: its length against a cap and the file size, the JSON, every
 * entry's dtype, shape and offsets, and that the tensors tile the data section exactly (no gap, no overlap,
 * nothing past the end). Any violation is a {@link CheckpointException} naming the file and the tensor.
 *
 * <p>Tensor data is read through memory mapping, a window at a time, straight into the destination ND4J
 * buffer (F32), or converted on the way (BF16, F16, F64). Each window is unmapped right after use, so reading
 * a checkpoint costs the destination arrays plus one window, not a second copy of the file.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** The reference reader rejects headers over 100 MB. */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;
    private static final long WINDOW_BYTES = 64L * 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, FileChannel channel, long dataStart, Map<String, TensorInfo> tensors,
                            Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Opens and validates a safetensors file. */
    public static SafetensorsFile open(Path path) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            long size = ch.size();
            String where = path.toString();
            if (size < 8) {
                throw new CheckpointException(where + ": file is " + size
                        + " bytes, too short for a safetensors header (8-byte length + JSON)");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.getLong(0);
            if (headerLen < 0 || headerLen > MAX_HEADER_BYTES) {
                throw new CheckpointException(where + ": header length " + Long.toUnsignedString(headerLen)
                        + " bytes exceeds the cap of " + MAX_HEADER_BYTES + " bytes");
            }
            if (8 + headerLen > size) {
                throw new CheckpointException(where + ": header length " + headerLen
                        + " bytes runs past the end of the file (" + size + " bytes)");
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
            readFully(ch, headerBuf, 8);
            String header;
            try {
                header = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(headerBuf.flip()).toString();
            } catch (CharacterCodingException e) {
                throw new CheckpointException(where + ": header is not valid UTF-8");
            }
            long dataStart = 8 + headerLen;
            long dataLen = size - dataStart;
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, TensorInfo> tensors = parseHeader(where, header, dataLen, metadata);
            return new SafetensorsFile(path, ch, dataStart, tensors, metadata);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static Map<String, TensorInfo> parseHeader(String where, String header, long dataLen,
                                                       Map<String, String> metadata) {
        JsonNode root;
        try {
            root = JSON.readTree(header);
        } catch (JsonParseException e) {
            throw new CheckpointException(where + ": header is not valid JSON: " + e.getOriginalMessage()
                    + " (header line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")");
        } catch (JsonProcessingException e) {
            throw new CheckpointException(where + ": header is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new CheckpointException(where + ": header must be a JSON object");
        }
        Map<String, TensorInfo> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.equals("__metadata__")) {
                if (!v.isObject()) {
                    throw new CheckpointException(where + ": __metadata__ must be an object of strings");
                }
                for (Iterator<Map.Entry<String, JsonNode>> m = v.fields(); m.hasNext(); ) {
                    Map.Entry<String, JsonNode> kv = m.next();
                    if (!kv.getValue().isTextual()) {
                        throw new CheckpointException(where + ": __metadata__." + kv.getKey() + " must be a string");
                    }
                    metadata.put(kv.getKey(), kv.getValue().asText());
                }
                continue;
            }
            String at = where + ": tensor \"" + name + "\"";
            if (!v.isObject()) {
                throw new CheckpointException(at + " must be an object with dtype, shape and data_offsets");
            }
            JsonNode dt = v.get("dtype");
            if (dt == null || !dt.isTextual()) {
                throw new CheckpointException(at + ": missing or non-string \"dtype\"");
            }
            SafeDType dtype = SafeDType.parse(dt.asText(), at);
            long[] shape = longArray(v.get("shape"), at, "shape", -1);
            long[] offs = longArray(v.get("data_offsets"), at, "data_offsets", 2);
            long begin = offs[0];
            long end = offs[1];
            if (begin > end) {
                throw new CheckpointException(at + ": data_offsets [" + begin + ", " + end + "] has begin after end");
            }
            if (end > dataLen) {
                throw new CheckpointException(at + ": data_offsets end " + end
                        + " is past the end of the data section (" + dataLen + " bytes)");
            }
            long expected;
            try {
                long numel = 1;
                for (long d : shape) {
                    numel = Math.multiplyExact(numel, d);
                }
                expected = Math.multiplyExact(numel, dtype.bytes());
            } catch (ArithmeticException overflow) {
                throw new CheckpointException(at + ": shape is too large (element count overflows)");
            }
            if (expected != end - begin) {
                throw new CheckpointException(at + ": dtype " + dtype + " and shape " + java.util.Arrays.toString(shape)
                        + " need " + expected + " bytes but data_offsets give " + (end - begin));
            }
            out.put(name, new TensorInfo(name, dtype, shape, begin, end));
        }
        // the tensors must tile [0, dataLen) exactly
        List<TensorInfo> byOffset = new ArrayList<>(out.values());
        byOffset.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long cursor = 0;
        String previous = null;
        for (TensorInfo t : byOffset) {
            if (t.begin() < cursor) {
                throw new CheckpointException(where + ": tensor \"" + t.name() + "\" [" + t.begin() + ", " + t.end()
                        + ") overlaps tensor \"" + previous + "\" (which ends at " + cursor + ")");
            }
            if (t.begin() > cursor) {
                throw new CheckpointException(where + ": bytes [" + cursor + ", " + t.begin()
                        + ") of the data section belong to no tensor (gap before \"" + t.name() + "\")");
            }
            cursor = t.end();
            previous = t.name();
        }
        if (cursor != dataLen) {
            throw new CheckpointException(where + ": the data section has " + (dataLen - cursor)
                    + " trailing bytes that belong to no tensor");
        }
        return Collections.unmodifiableMap(out);
    }

    private static long[] longArray(JsonNode node, String at, String field, int wantLength) {
        if (node == null || !node.isArray()) {
            throw new CheckpointException(at + ": missing or non-array \"" + field + "\"");
        }
        if (wantLength >= 0 && node.size() != wantLength) {
            throw new CheckpointException(at + ": \"" + field + "\" must have " + wantLength + " entries, has "
                    + node.size());
        }
        if (node.size() > 16) {
            throw new CheckpointException(at + ": \"" + field + "\" has " + node.size() + " dimensions (at most 16)");
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode x = node.get(i);
            if (!x.isIntegralNumber() || !x.canConvertToLong() || x.asLong() < 0) {
                throw new CheckpointException(at + ": \"" + field + "\"[" + i + "] must be a non-negative integer, got "
                        + x);
            }
            out[i] = x.asLong();
        }
        return out;
    }

    public Path path() {
        return path;
    }

    /** Tensor entries in header order. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    public Map<String, String> metadata() {
        return Collections.unmodifiableMap(metadata);
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    public TensorInfo info(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new CheckpointException(path + ": no tensor named \"" + name + "\"");
        }
        return t;
    }

    /**
     * Reads a floating tensor (F32, F16, BF16, F64) into a new array of {@code target} type (FLOAT or
     * DOUBLE), converting exactly. A scalar (shape []) becomes a 1-element vector.
     */
    public INDArray load(String name, DataType target) throws IOException {
        TensorInfo t = info(name);
        if (!t.dtype().isConvertibleFloat()) {
            throw new CheckpointException(path + ": tensor \"" + name + "\" has dtype " + t.dtype()
                    + ", not a floating type that can be read as " + target);
        }
        if (target != DataType.FLOAT && target != DataType.DOUBLE) {
            throw new IllegalArgumentException("target must be FLOAT or DOUBLE, got " + target);
        }
        long[] shape = t.shape().length == 0 ? new long[] {1} : t.shape();
        long numel = t.numel();
        INDArray out = Nd4j.createUninitialized(target, shape);
        if (numel == 0) {
            return out;
        }
        boolean direct = target == DataType.FLOAT && numel * 4 <= Integer.MAX_VALUE;
        ByteBuffer dst = direct ? out.data().asNio().order(ByteOrder.nativeOrder()) : null;
        FloatBuffer dstF = direct ? dst.asFloatBuffer() : null;
        long element = 0;
        int width = t.dtype().bytes();
        for (long off = t.begin(); off < t.end(); ) {
            long len = Math.min(WINDOW_BYTES - (WINDOW_BYTES % width), t.end() - off);
            MappedByteBuffer window = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + off, len);
            try {
                window.order(ByteOrder.LITTLE_ENDIAN);
                int n = (int) (len / width);
                if (dstF != null) {
                    dstF.position((int) element);
                    convertInto(t.dtype(), window, n, dstF);
                } else {
                    convertInto(t.dtype(), window, n, out, element);
                }
                element += n;
            } finally {
                unmap(window);
            }
            off += len;
        }
        return out;
    }

    /** Copies the raw little-endian bytes of a tensor (for integer and packed quantized tensors). */
    public byte[] loadBytes(String name) throws IOException {
        TensorInfo t = info(name);
        if (t.byteSize() > Integer.MAX_VALUE - 8) {
            throw new CheckpointException(path + ": tensor \"" + name + "\" is too large to read as one byte array");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) t.byteSize());
        readFully(channel, buf, dataStart + t.begin());
        return buf.array();
    }

    private static void convertInto(SafeDType dtype, ByteBuffer src, int n, FloatBuffer dst) {
        switch (dtype) {
            case F32 -> dst.put(src.asFloatBuffer().limit(n));
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    dst.put(HalfFloats.bf16ToFloat(src.getShort(2 * i)));
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    dst.put(HalfFloats.f16ToFloat(src.getShort(2 * i)));
                }
            }
            case F64 -> {
                for (int i = 0; i < n; i++) {
                    dst.put((float) src.getDouble(8 * i));
                }
            }
            default -> throw new IllegalStateException(dtype.name());
        }
    }

    private static void convertInto(SafeDType dtype, ByteBuffer src, int n, INDArray out, long start) {
        INDArray flat = out.reshape(out.length());
        for (int i = 0; i < n; i++) {
            double v = switch (dtype) {
                case F32 -> src.getFloat(4 * i);
                case BF16 -> HalfFloats.bf16ToFloat(src.getShort(2 * i));
                case F16 -> HalfFloats.f16ToFloat(src.getShort(2 * i));
                case F64 -> src.getDouble(8 * i);
                default -> throw new IllegalStateException(dtype.name());
            };
            flat.putScalar(start + i, v);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer dst, long position) throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int n = ch.read(dst, pos);
            if (n < 0) {
                throw new CheckpointException("unexpected end of file at byte " + pos);
            }
            pos += n;
        }
    }

    /** Releases a mapping now instead of at the next GC (sun.misc.Unsafe.invokeCleaner, JDK 9+). */
    private static void unmap(MappedByteBuffer buffer) {
        try {
            UNMAPPER.invoke(UNSAFE, buffer);
        } catch (ReflectiveOperationException | RuntimeException ignored) {
            // the mapping is released when the buffer is collected
        }
    }

    private static final Object UNSAFE;
    private static final Method UNMAPPER;

    static {
        Object unsafe = null;
        Method unmapper = null;
        try {
            Class<?> c = Class.forName("sun.misc.Unsafe");
            java.lang.reflect.Field f = c.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            unsafe = f.get(null);
            unmapper = c.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // fall back to GC-driven unmapping
        }
        UNSAFE = unsafe;
        UNMAPPER = unmapper;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
