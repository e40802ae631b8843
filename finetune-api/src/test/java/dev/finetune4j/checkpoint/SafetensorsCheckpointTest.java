package dev.finetune4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class SafetensorsCheckpointTest {
    @TempDir
    Path dir;

    private Map<String, INDArray> tensors() {
        Nd4j.getRandom().setSeed(3);
        Map<String, INDArray> m = new LinkedHashMap<>();
        for (int i = 0; i < 5; i++) {
            m.put("model.layers." + i + ".weight", Nd4j.randn(DataType.FLOAT, 16, 16));
        }
        m.put("model.norm.weight", Nd4j.randn(DataType.FLOAT, 16));
        return m;
    }

    @Test
    void shardedAndSingleFileLoadTheSameTensors() throws IOException {
        Map<String, INDArray> t = tensors();
        Path sharded = dir.resolve("sharded");
        Path single = dir.resolve("single");
        SafetensorsCheckpoint.writeSharded(sharded, t, SafeDType.F32, 2 * 16 * 16 * 4);
        SafetensorsCheckpoint.writeSharded(single, t, SafeDType.F32, Long.MAX_VALUE);
        assertTrue(Files.exists(sharded.resolve("model-00001-of-00003.safetensors")));
        assertTrue(Files.exists(sharded.resolve(SafetensorsCheckpoint.INDEX_FILE)));
        assertTrue(Files.exists(single.resolve(SafetensorsCheckpoint.SINGLE_FILE)));
        try (SafetensorsCheckpoint a = SafetensorsCheckpoint.open(sharded);
             SafetensorsCheckpoint b = SafetensorsCheckpoint.open(single)) {
            assertEquals(t.keySet(), a.names());
            for (String n : t.keySet()) {
                assertEquals(t.get(n), a.load(n, DataType.FLOAT), n);
                assertEquals(t.get(n), b.load(n, DataType.FLOAT), n);
            }
        }
    }

    @Test
    void missingTensorIsAClearError() throws IOException {
        SafetensorsCheckpoint.writeSharded(dir, tensors(), SafeDType.BF16, Long.MAX_VALUE);
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir)) {
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> c.load("lm_head.weight", DataType.FLOAT));
            assertTrue(e.getMessage().contains("has no tensor \"lm_head.weight\""), e.getMessage());
        }
    }

    @Test
    void indexErrorsNameTheIndexAndTheShard() throws IOException {
        Path model = dir.resolve("model");
        SafetensorsCheckpoint.writeSharded(model, tensors(), SafeDType.F32, 16 * 16 * 4);
        Path index = model.resolve(SafetensorsCheckpoint.INDEX_FILE);
        String json = Files.readString(index);

        Files.writeString(index, json.replace("model-00002-of-00006.safetensors", "model-00009-of-00006.safetensors"));
        assertTrue(message(model).contains("does not exist"));

        Files.writeString(index, json.replace("model-00002-of-00006.safetensors", "../outside.safetensors"));
        Files.copy(model.resolve("model-00002-of-00006.safetensors"), dir.resolve("outside.safetensors"));
        assertTrue(message(model).contains("outside the model folder"));

        Files.writeString(index, json.replace("\"model.norm.weight\"", "\"model.nonexistent\""));
        assertTrue(message(model).contains("that shard has no such tensor"));

        Files.writeString(index, "{\"metadata\":{}}");
        assertTrue(message(model).contains("missing \"weight_map\""));

        Files.writeString(index, "{not json");
        assertTrue(message(model).contains("not valid JSON"));
    }

    @Test
    void folderWithoutWeightsIsAClearError() {
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsCheckpoint.open(dir));
        assertTrue(e.getMessage().contains("no model.safetensors"), e.getMessage());
    }

    private static String message(Path model) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsCheckpoint.open(model).close());
        assertTrue(e.getMessage().contains(SafetensorsCheckpoint.INDEX_FILE), e.getMessage());
        return e.getMessage();
    }
}
