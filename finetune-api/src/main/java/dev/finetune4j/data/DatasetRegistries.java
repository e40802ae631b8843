package dev.finetune4j.data;

import dev.finetune4j.FineTuneException;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Entry point from the trainer (or any code that only depends on finetune-api) to LLaMA-Factory
 * registry datasets:
 * <pre>{@code
 * DataSettings d = config.data();
 * DatasetSource source = DatasetRegistries.open(d.datasetDir(), d.datasets(),
 *         DatasetOptions.DEFAULTS.withMaxSamples(d.maxSamples()).withSeed(config.seed()));
 * }</pre>
 */
public final class DatasetRegistries {
    private DatasetRegistries() {
    }

    public static DatasetSource open(Path datasetDir, List<String> names, DatasetOptions options) {
        for (DatasetRegistry r : ServiceLoader.load(DatasetRegistry.class, DatasetRegistries.class.getClassLoader())) {
            return r.open(datasetDir, names, options);
        }
        throw new FineTuneException("no dataset registry on the class path: add the finetune-datasets module");
    }

    public static DatasetSource open(Path datasetDir, List<String> names) {
        return open(datasetDir, names, DatasetOptions.DEFAULTS);
    }
}
