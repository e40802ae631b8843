package dev.finetune4j.datasets.llamafactory;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.FineTuneException;
import dev.finetune4j.datasets.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A parsed {@code dataset_info.json}: registry name → {@link DatasetEntry}, in file order. */
public final class DatasetInfo {
    public static final String FILE_NAME = "dataset_info.json";
    private static final List<String> REMOTE_KEYS = List.of("hf_hub_url", "ms_hub_url", "om_hub_url", "script_url",
            "cloud_file_name");

    private final Path file;
    private final Map<String, DatasetEntry> entries;

    private DatasetInfo(Path file, Map<String, DatasetEntry> entries) {
        this.file = file;
        this.entries = entries;
    }

    /** Reads {@code datasetDir/dataset_info.json}. */
    public static DatasetInfo load(Path datasetDir) {
        Path file = datasetDir.resolve(FILE_NAME);
        if (!Files.isDirectory(datasetDir)) {
            throw new FineTuneException("dataset_dir " + datasetDir + " does not exist or is not a folder");
        }
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            JsonLocation l = e.getLocation();
            throw new FineTuneException(file + ":" + (l == null ? 0 : l.getLineNr()) + ": column "
                    + (l == null ? 0 : l.getColumnNr()) + ", JSON syntax error: " + e.getOriginalMessage().replace('\n', ' '));
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new FineTuneException("no " + FILE_NAME + " in " + datasetDir
                    + ": dataset_dir must hold the registry of datasets (LLaMA-Factory's data/dataset_info.json)");
        } catch (IOException e) {
            throw new FineTuneException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new FineTuneException(file + ": must be a JSON object of dataset name → entry");
        }
        Map<String, DatasetEntry> entries = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            entries.put(e.getKey(), entry(file, e.getKey(), e.getValue()));
        }
        return new DatasetInfo(file, entries);
    }

    public Path file() {
        return file;
    }

    public Map<String, DatasetEntry> entries() {
        return java.util.Collections.unmodifiableMap(entries);
    }

    /** The entry named {@code name}; an unknown name is an error listing some known ones. */
    public DatasetEntry get(String name) {
        DatasetEntry e = entries.get(name);
        if (e == null) {
            List<String> local = new ArrayList<>();
            for (DatasetEntry x : entries.values()) {
                if (x.fileName() != null && local.size() < 12) {
                    local.add(x.name());
                }
            }
            throw new FineTuneException("dataset '" + name + "' is not in " + file + " (local entries: "
                    + String.join(", ", local) + (local.size() == 12 ? ", ..." : "") + ")");
        }
        return e;
    }

    private static DatasetEntry entry(Path file, String name, JsonNode n) {
        String where = file + ": dataset '" + name + "'";
        if (!n.isObject()) {
            throw new FineTuneException(where + " must be an object, got " + Json.kind(n));
        }
        String fileName = string(n, "file_name", where);
        String formatting = string(n, "formatting", where);
        JsonNode rk = n.get("ranking");
        if (rk != null && !rk.isNull() && !rk.isBoolean()) {
            throw new FineTuneException(where + ": ranking must be true or false, got " + Json.show(rk));
        }
        JsonNode ns = n.get("num_samples");
        Integer numSamples = null;
        if (ns != null && !ns.isNull()) {
            if (!ns.canConvertToInt() || !ns.isIntegralNumber() || ns.intValue() < 1) {
                throw new FineTuneException(where + ": num_samples must be a positive integer, got " + Json.show(ns));
            }
            numSamples = ns.intValue();
        }
        List<String> remote = new ArrayList<>();
        for (String k : REMOTE_KEYS) {
            String v = string(n, k, where);
            if (v != null) {
                remote.add(k + ": " + v);
            }
        }
        String split = string(n, "split", where);
        return new DatasetEntry(name, fileName, formatting == null ? "alpaca" : formatting,
                rk != null && rk.asBoolean(), map(n, "columns", where), map(n, "tags", where), numSamples,
                split == null ? "train" : split, remote);
    }

    private static String string(JsonNode n, String key, String where) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new FineTuneException(where + ": " + key + " must be a string, got " + Json.kind(v));
        }
        return v.textValue();
    }

    private static Map<String, String> map(JsonNode n, String key, String where) {
        JsonNode v = n.get(key);
        Map<String, String> m = new LinkedHashMap<>();
        if (v == null || v.isNull()) {
            return m;
        }
        if (!v.isObject()) {
            throw new FineTuneException(where + ": " + key + " must be an object, got " + Json.kind(v));
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode x = e.getValue();
            if (x.isNull()) {
                m.put(e.getKey(), null);
            } else if (x.isTextual()) {
                m.put(e.getKey(), x.textValue());
            } else {
                throw new FineTuneException(where + ": " + key + "." + e.getKey() + " must be a string, got "
                        + Json.kind(x));
            }
        }
        return m;
    }
}
