package dev.finetune4j.datasets.llamafactory;

import java.util.List;
import java.util.Map;

/**
 * One entry of {@code dataset_info.json} (FORMATS.md A.1), as written; {@link LlamaFactoryRegistry} turns it
 * into a dataset.
 *
 * @param name       the registry name
 * @param fileName   {@code file_name} (file or folder relative to dataset_dir), or null
 * @param formatting {@code alpaca} (default) or {@code sharegpt}
 * @param ranking    preference pairs
 * @param columns    the {@code columns} overrides (logical column → key)
 * @param tags       the {@code tags} overrides
 * @param numSamples resample to this many rows, or null
 * @param split      {@code split} (default train)
 * @param remote     the remote keys present ({@code hf_hub_url: org/name}, ...)
 */
public record DatasetEntry(String name, String fileName, String formatting, boolean ranking,
        Map<String, String> columns, Map<String, String> tags, Integer numSamples, String split, List<String> remote) {

    public DatasetEntry {
        columns = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(columns));
        tags = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(tags));
        remote = List.copyOf(remote);
    }

    /** Pre-training text: a {@code .txt} file, or alpaca formatting whose only column mapping is {@code prompt}. */
    public boolean textOnly() {
        return fileName != null && fileName.endsWith(".txt")
                || formatting.equals("alpaca") && columns.keySet().equals(java.util.Set.of("prompt"));
    }
}
