package dev.finetune4j.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune4j.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The weights of a HuggingFace model folder: {@code model.safetensors}, or shards listed by
 * {@code model.safetensors.index.json} (FORMATS.md §D.5). Every shard is opened (and its header validated)
 * up front; the index must name only files inside the folder, and every tensor it maps must be in its shard.
 */
public final class SafetensorsCheckpoint implements AutoCloseable {
    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final Map<String, SafetensorsFile> byTensor;
    private final List<SafetensorsFile> files;

    private SafetensorsCheckpoint(Path dir, Map<String, SafetensorsFile> byTensor, List<SafetensorsFile> files) {
        this.dir = dir;
        this.byTensor = byTensor;
        this.files = files;
    }

    /** True if {@code dir} holds safetensors weights (single file or sharded index). */
    public static boolean isPresent(Path dir) {
        return Files.isRegularFile(dir.resolve(SINGLE_FILE)) || Files.isRegularFile(dir.resolve(INDEX_FILE));
    }

    public static SafetensorsCheckpoint open(Path dir) throws IOException {
        Path index = dir.resolve(INDEX_FILE);
        Path single = dir.resolve(SINGLE_FILE);
        if (Files.isRegularFile(index)) {
            return openSharded(dir, index);
        }
        if (Files.isRegularFile(single)) {
            SafetensorsFile f = SafetensorsFile.open(single);
            Map<String, SafetensorsFile> map = new LinkedHashMap<>();
            f.tensors().keySet().forEach(n -> map.put(n, f));
            return new SafetensorsCheckpoint(dir, map, List.of(f));
        }
        throw new CheckpointException(dir + ": no " + SINGLE_FILE + " or " + INDEX_FILE
                + " (only safetensors weights are supported; convert .bin/.pth checkpoints first)");
    }

    private static SafetensorsCheckpoint openSharded(Path dir, Path index) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(index.toFile());
        } catch (IOException e) {
            throw new CheckpointException(index + ": not valid JSON: " + e.getMessage(), e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw new CheckpointException(index + ": missing \"weight_map\" object");
        }
        Path realDir = dir.toRealPath();
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
        List<SafetensorsFile> opened = new ArrayList<>();
        try {
            for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String tensor = e.getKey();
                if (!e.getValue().isTextual()) {
                    throw new CheckpointException(index + ": weight_map[\"" + tensor + "\"] must be a file name");
                }
                String shardName = e.getValue().asText();
                SafetensorsFile shard = shards.get(shardName);
                if (shard == null) {
                    Path p = dir.resolve(shardName).normalize();
                    if (!Files.isRegularFile(p)) {
                        throw new CheckpointException(index + ": shard \"" + shardName + "\" (for tensor \"" + tensor
                                + "\") does not exist");
                    }
                    if (!p.toRealPath().startsWith(realDir)) {
                        throw new CheckpointException(index + ": shard \"" + shardName
                                + "\" is outside the model folder");
                    }
                    shard = SafetensorsFile.open(p);
                    opened.add(shard);
                    shards.put(shardName, shard);
                }
                if (!shard.contains(tensor)) {
                    throw new CheckpointException(index + ": tensor \"" + tensor + "\" is mapped to " + shardName
                            + " but that shard has no such tensor");
                }
                byTensor.put(tensor, shard);
            }
        } catch (IOException | RuntimeException e) {
            opened.forEach(SafetensorsFile::close);
            throw e;
        }
        return new SafetensorsCheckpoint(dir, byTensor, opened);
    }

    public Path dir() {
        return dir;
    }

    public Set<String> names() {
        return Collections.unmodifiableSet(byTensor.keySet());
    }

    public boolean contains(String name) {
        return byTensor.containsKey(name);
    }

    public TensorInfo info(String name) {
        return file(name).info(name);
    }

    /** Loads a floating tensor as FLOAT or DOUBLE; a missing tensor is a clear error. */
    public INDArray load(String name, DataType target) throws IOException {
        return file(name).load(name, target);
    }

    public byte[] loadBytes(String name) throws IOException {
        return file(name).loadBytes(name);
    }

    private SafetensorsFile file(String name) {
        SafetensorsFile f = byTensor.get(name);
        if (f == null) {
            throw new CheckpointException(dir + ": the checkpoint has no tensor \"" + name + "\"");
        }
        return f;
    }

    /**
     * Writes tensors as shards of at most {@code maxShardBytes} of data each (a tensor larger than that gets a
     * shard of its own), named {@code model-0000k-of-0000N.safetensors}, plus the index; with one shard, a plain
     * {@code model.safetensors}. Each file is written atomically; the index last.
     */
    public static void writeSharded(Path dir, Map<String, INDArray> tensors, SafeDType dtype, long maxShardBytes)
            throws IOException {
        List<Map<String, INDArray>> shards = new ArrayList<>();
        Map<String, INDArray> current = new LinkedHashMap<>();
        long currentBytes = 0;
        for (Map.Entry<String, INDArray> e : new TreeMap<>(tensors).entrySet()) {
            long bytes = e.getValue().length() * dtype.bytes();
            if (!current.isEmpty() && currentBytes + bytes > maxShardBytes) {
                shards.add(current);
                current = new LinkedHashMap<>();
                currentBytes = 0;
            }
            current.put(e.getKey(), e.getValue());
            currentBytes += bytes;
        }
        shards.add(current);
        Files.createDirectories(dir);
        if (shards.size() == 1) {
            SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
            shards.get(0).forEach((n, a) -> w.put(n, a, dtype));
            w.write(dir.resolve(SINGLE_FILE));
            return;
        }
        ObjectNode index = JSON.createObjectNode();
        long total = 0;
        ObjectNode weightMap = JSON.createObjectNode();
        for (int i = 0; i < shards.size(); i++) {
            String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
            for (Map.Entry<String, INDArray> e : shards.get(i).entrySet()) {
                w.put(e.getKey(), e.getValue(), dtype);
                weightMap.put(e.getKey(), name);
            }
            total += w.dataBytes();
            w.write(dir.resolve(name));
        }
        index.putObject("metadata").put("total_size", total);
        index.set("weight_map", weightMap);
        AtomicFiles.writeString(dir.resolve(INDEX_FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(index));
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
