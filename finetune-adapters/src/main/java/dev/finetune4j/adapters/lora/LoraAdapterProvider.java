package dev.finetune4j.adapters.lora;

import dev.finetune4j.adapter.Adapter;
import dev.finetune4j.adapter.AdapterProvider;
import dev.finetune4j.config.MethodSettings;
import java.io.IOException;
import java.nio.file.Path;

/** Registers LoRA as the adapter method {@code lora} ({@link java.util.ServiceLoader}). */
public final class LoraAdapterProvider implements AdapterProvider {
    public static final String METHOD = "lora";

    @Override
    public String method() {
        return METHOD;
    }

    @Override
    public Adapter create(MethodSettings settings, long seed) {
        return LoraAdapter.create(LoraConfig.fromSettings(settings), seed);
    }

    @Override
    public Adapter load(Path dir, boolean trainable, long seed) throws IOException {
        return LoraAdapter.load(dir, trainable, seed);
    }

    @Override
    public void exportMerged(Path modelDir, Path adapterDir, Path outDir) throws IOException {
        LoraMerge.export(modelDir, adapterDir, outDir);
    }
}
