package dev.finetune4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class SafetensorsTest {
    @TempDir
    Path dir;

    /** Made by torchref's independent writer: see make_reference.py next to the file. */
    @Test
    void readsReferenceFileExactly() throws Exception {
        Path ref = Path.of(getClass().getResource("/checkpoint/reference.safetensors").toURI());
        float[] f32 = {0.0f, -0.0f, 1.0f, -2.5f, 3.1415927410125732f, 0.0010000000474974513f, 65504.0f,
            9.99999993922529e-09f, 0.10000000149011612f, -72500.0f, 0.3333333432674408f, 6.103515625e-05f};
        float[] f16 = {0.0f, -0.0f, 1.0f, -2.5f, 3.140625f, 0.0010004043579101562f, 65504.0f, 0.0f,
            0.0999755859375f, Float.NEGATIVE_INFINITY, 0.333251953125f, 6.103515625e-05f};
        float[] bf16 = {0.0f, -0.0f, 1.0f, -2.5f, 3.140625f, 0.00099945068359375f, 65536.0f,
            1.0011717677116394e-08f, 0.10009765625f, -72704.0f, 0.333984375f, 6.103515625e-05f};
        try (SafetensorsFile f = SafetensorsFile.open(ref)) {
            assertEquals(Map.of("format", "pt"), f.metadata());
            assertArrayEquals(new long[] {3, 4}, f.info("a.f32").shape());
            assertArrayEquals(f32, f.load("a.f32", DataType.FLOAT).data().asFloat());
            assertArrayEquals(f16, f.load("b.f16", DataType.FLOAT).data().asFloat());
            assertArrayEquals(bf16, f.load("c.bf16", DataType.FLOAT).data().asFloat());
            assertArrayEquals(new long[] {2, 6}, f.load("c.bf16", DataType.FLOAT).shape());
            assertEquals(1.0 / 3, f.load("d.f64", DataType.DOUBLE).getDouble(10), 0);
        }
        // and our writer rounds the same way torch does
        Path mine = dir.resolve("mine.safetensors");
        INDArray x = Nd4j.createFromArray(f32);
        new SafetensorsWriter().put("b.f16", x, SafeDType.F16).put("c.bf16", x, SafeDType.BF16).write(mine);
        try (SafetensorsFile f = SafetensorsFile.open(mine)) {
            assertArrayEquals(f16, f.load("b.f16", DataType.FLOAT).data().asFloat());
            assertArrayEquals(bf16, f.load("c.bf16", DataType.FLOAT).data().asFloat());
        }
    }

    @Test
    void roundTripsEveryFloatDtypeAndRawBytes() throws IOException {
        Nd4j.getRandom().setSeed(1);
        INDArray a = Nd4j.randn(DataType.FLOAT, 5, 7);
        Path p = dir.resolve("rt.safetensors");
        new SafetensorsWriter()
                .put("w", a, SafeDType.F32)
                .put("w64", a.castTo(DataType.DOUBLE), SafeDType.F64)
                .putRaw("codes", SafeDType.U8, new long[] {3}, new byte[] {1, 2, (byte) 255})
                .put("scalar", Nd4j.scalar(2.5f), SafeDType.F32)
                .put("empty", Nd4j.create(DataType.FLOAT, 0, 4), SafeDType.F32)
                .metadata("format", "pt")
                .write(p);
        assertEquals(0, (8 + SafetensorsWriter.headerText(p).length()) % 8, "header padded to 8 bytes");
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(a, f.load("w", DataType.FLOAT));
            assertEquals(a.castTo(DataType.DOUBLE), f.load("w64", DataType.DOUBLE));
            assertArrayEquals(new byte[] {1, 2, (byte) 255}, f.loadBytes("codes"));
            assertEquals(2.5f, f.load("scalar", DataType.FLOAT).getFloat(0));
            assertEquals(0, f.info("empty").byteSize());
            // reference ordering: larger dtypes first, then by name
            List<String> order = f.tensors().values().stream()
                    .sorted(java.util.Comparator.comparingLong(TensorInfo::begin)
                            .thenComparingLong(TensorInfo::end)).map(TensorInfo::name).toList();
            assertEquals("w64", order.get(0));
            assertEquals("codes", order.get(order.size() - 1));
        }
    }

    @Test
    void viewsAndFortranOrderAreWrittenInCOrder() throws IOException {
        INDArray base = Nd4j.linspace(1, 12, 12, DataType.FLOAT).reshape(3, 4);
        INDArray transposed = base.transpose(); // a view, not c-contiguous
        Path p = dir.resolve("v.safetensors");
        new SafetensorsWriter().put("t", transposed, SafeDType.F32).write(p);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(transposed, f.load("t", DataType.FLOAT));
        }
    }

    @Test
    void halfFloatConversionIsExactForEveryF16Value() {
        for (int bits = 0; bits < 65536; bits++) {
            float v = HalfFloats.f16ToFloat((short) bits);
            if (Float.isNaN(v)) {
                assertTrue(Float.isNaN(HalfFloats.f16ToFloat(HalfFloats.floatToF16(v))));
                continue;
            }
            assertEquals((short) bits, HalfFloats.floatToF16(v), "f16 bits " + Integer.toHexString(bits));
        }
        // ties round to even: 1 + 2^-11 lies halfway between 1 and 1 + 2^-10
        assertEquals(1.0f, HalfFloats.f16ToFloat(HalfFloats.floatToF16(1.0f + 0x1p-11f)));
        assertEquals(1.0f + 0x1p-9f, HalfFloats.f16ToFloat(HalfFloats.floatToF16(1.0f + 0x1p-10f + 0x1p-11f)));
        assertEquals(Float.POSITIVE_INFINITY, HalfFloats.f16ToFloat(HalfFloats.floatToF16(70000f)));
    }

    // ---- malformed files: each is a clear error, never a crash, hang or huge allocation ----

    private Path file(long headerLen, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLen).put(h).put(data);
        Path p = dir.resolve("bad.safetensors");
        Files.write(p, b.array());
        return p;
    }

    private Path file(String header, int dataBytes) throws IOException {
        return file(header.getBytes(StandardCharsets.UTF_8).length, header, new byte[dataBytes]);
    }

    private String error(Path p) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsFile.open(p).close());
        assertTrue(e.getMessage().startsWith(p.toString()), "message names the file: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void rejectsFileShorterThanTheLengthField() throws IOException {
        Path p = dir.resolve("short.safetensors");
        Files.write(p, new byte[] {1, 2, 3});
        assertTrue(error(p).contains("too short"));
    }

    @Test
    void rejectsHeaderLargerThanTheCapWithoutAllocatingIt() throws IOException {
        assertTrue(error(file(Long.MAX_VALUE, "{}", new byte[0])).contains("exceeds the cap"));
        assertTrue(error(file(-1L, "{}", new byte[0])).contains("exceeds the cap"));
    }

    @Test
    void rejectsHeaderRunningPastTheEndOfTheFile() throws IOException {
        assertTrue(error(file(1000, "{}", new byte[0])).contains("runs past the end of the file"));
    }

    @Test
    void rejectsBadJson() throws IOException {
        String m = error(file("{\"a\": {\"dtype\": \"F32\",", 0));
        assertTrue(m.contains("not valid JSON"), m);
        assertTrue(m.contains("column"), m);
        assertTrue(error(file("[1, 2]", 0)).contains("must be a JSON object"));
    }

    @Test
    void rejectsDuplicateTensorNames() throws IOException {
        String t = "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
        assertTrue(error(file("{\"a\":" + t + ",\"a\":" + t + "}", 4)).contains("Duplicate field 'a'"));
    }

    @Test
    void rejectsUnknownDtype() throws IOException {
        String m = error(file("{\"a\":{\"dtype\":\"F17\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4));
        assertTrue(m.contains("unknown dtype \"F17\""), m);
    }

    @Test
    void rejectsShapeThatDoesNotMatchTheByteCount() throws IOException {
        String m = error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", 20));
        assertTrue(m.contains("need 24 bytes but data_offsets give 20"), m);
    }

    @Test
    void rejectsOverflowingShapeAndNegativeDimensions() throws IOException {
        String huge = "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,4]}}";
        assertTrue(error(file(huge, 4)).contains("too large"));
        assertTrue(error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4))
                .contains("non-negative integer"));
    }

    @Test
    void rejectsOffsetsPastTheEnd() throws IOException {
        String m = error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8));
        assertTrue(m.contains("past the end of the data section"), m);
    }

    @Test
    void rejectsOverlappingTensors() throws IOException {
        String m = error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12));
        assertTrue(m.contains("overlaps"), m);
    }

    @Test
    void rejectsGapsAndTrailingBytes() throws IOException {
        assertTrue(error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8))
                .contains("belong to no tensor"));
        assertTrue(error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 12))
                .contains("8 trailing bytes"));
    }

    @Test
    void rejectsMissingFieldsAndBadMetadata() throws IOException {
        assertTrue(error(file("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4)).contains("\"shape\""));
        assertTrue(error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4))
                .contains("must have 2 entries"));
        assertTrue(error(file("{\"__metadata__\":{\"format\":1}}", 0)).contains("__metadata__.format must be a string"));
    }

    @Test
    void rejectsInvalidUtf8() throws IOException {
        byte[] bad = {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'};
        ByteBuffer b = ByteBuffer.allocate(8 + bad.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(bad.length).put(bad);
        Path p = dir.resolve("utf8.safetensors");
        Files.write(p, b.array());
        assertTrue(error(p).contains("not valid UTF-8"));
    }

    @Test
    void reportsMissingTensorAndWrongTypeOnLoad() throws IOException {
        Path p = dir.resolve("ok.safetensors");
        new SafetensorsWriter().putRaw("codes", SafeDType.U8, new long[] {1}, new byte[] {7}).write(p);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertTrue(assertThrows(CheckpointException.class, () -> f.load("nope", DataType.FLOAT)).getMessage()
                    .contains("no tensor named \"nope\""));
            assertTrue(assertThrows(CheckpointException.class, () -> f.load("codes", DataType.FLOAT)).getMessage()
                    .contains("not a floating type"));
        }
    }
}
