package dev.finetune4j.config;

import java.nio.file.Path;
import java.util.List;

/**
 * What data, how it is templated, cut and packed (LLaMA-Factory's data arguments).
 *
 * @param datasets       LLaMA-Factory registry names in {@code datasetDir} ({@code dataset: a,b})
 * @param evalDatasets   registry names for evaluation ({@code eval_dataset}), exclusive with valSize
 * @param datasetDir     the folder holding {@code dataset_info.json} ({@code dataset_dir}, default {@code data})
 * @param template       chat template name ({@code template}); null when a template object is given
 * @param cutoffLen      max tokens per example ({@code cutoff_len}, default 2048)
 * @param maxSamples     keep the first N rows of each dataset, or null ({@code max_samples})
 * @param trainOnPrompt  also train on prompt tokens ({@code train_on_prompt})
 * @param maskHistory    train only the last turn ({@code mask_history})
 * @param packing        pack examples into cutoff_len rows; null = automatic (on for pt) ({@code packing})
 * @param neatPacking    packed examples cannot attend to each other ({@code neat_packing})
 * @param valSize        hold-out fraction (0..1) or count (> 1) ({@code val_size})
 * @param enableThinking Qwen3 thinking mode; null = per example ({@code enable_thinking}, default true)
 * @param defaultSystem  overrides the template's default system prompt, or null ({@code default_system})
 * @param tokenizedPath  a {@code preprocess} JSONL used as is, or null ({@code tokenized_path})
 */
public record DataSettings(List<String> datasets, List<String> evalDatasets, Path datasetDir, String template,
                           int cutoffLen, Integer maxSamples, boolean trainOnPrompt, boolean maskHistory,
                           Boolean packing, boolean neatPacking, double valSize, Boolean enableThinking,
                           String defaultSystem, Path tokenizedPath) {
    public DataSettings {
        datasets = List.copyOf(datasets);
        evalDatasets = List.copyOf(evalDatasets);
    }
}
