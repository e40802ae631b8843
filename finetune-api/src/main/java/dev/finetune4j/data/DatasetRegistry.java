package dev.finetune4j.data;

import java.nio.file.Path;
import java.util.List;

/**
 * Service interface: opens LLaMA-Factory registry datasets ({@code dataset_info.json} in a
 * {@code dataset_dir}) by name. {@code finetune-datasets} implements it; code that only depends on
 * finetune-api calls {@link DatasetRegistries#open}.
 */
public interface DatasetRegistry {

    /**
     * The named datasets of {@code datasetDir/dataset_info.json}, concatenated in the order given.
     *
     * @param names   registry names; each may itself be a comma-separated list ({@code "a,b"})
     * @throws dev.finetune4j.FineTuneException for a missing {@code dataset_info.json}, an unknown name, a
     *         remote-only entry, a {@code file_name} outside {@code datasetDir}, or an unsupported file type
     */
    DatasetSource open(Path datasetDir, List<String> names, DatasetOptions options);
}
