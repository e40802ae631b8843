package dev.finetune4j.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.FineTuneException;
import dev.finetune4j.config.MethodSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;

/** Finds {@link AdapterProvider}s on the class path by method name. */
public final class Adapters {
    /** The adapter configuration file of a PEFT adapter folder. */
    public static final String CONFIG_FILE = "adapter_config.json";
    /** The weights file of a PEFT adapter folder. */
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";

    private static final ObjectMapper JSON = new ObjectMapper();

    private Adapters() {
    }

    /** The provider of {@code method} ({@code lora}), case-insensitive. */
    public static AdapterProvider provider(String method) {
        String m = method.trim().toLowerCase(Locale.ROOT);
        List<String> known = new ArrayList<>();
        for (AdapterProvider p : ServiceLoader.load(AdapterProvider.class, Adapters.class.getClassLoader())) {
            if (p.method().equals(m)) {
                return p;
            }
            known.add(p.method());
        }
        throw new FineTuneException(known.isEmpty()
                ? "no adapter implementation on the class path: add the finetune-adapters module"
                : "adapter method '" + method + "' is not available; known: " + String.join(", ", known));
    }

    /** A new adapter of the settings' fine-tuning type ({@code lora}). */
    public static Adapter create(MethodSettings settings, long seed) {
        return provider(settings.finetuningType().yamlName()).create(settings, seed);
    }

    /**
     * The adapter saved in {@code dir}, by its {@code peft_type}.
     *
     * @throws FineTuneException if the folder has no readable {@code adapter_config.json}
     */
    public static Adapter load(Path dir, boolean trainable, long seed) throws IOException {
        return provider(peftType(dir)).load(dir, trainable, seed);
    }

    /**
     * Merges the adapter in {@code adapterDir} (by its {@code peft_type}) into the model of {@code modelDir} and writes
     * a plain HuggingFace checkpoint folder {@code outDir}: see {@link AdapterProvider#exportMerged}.
     */
    public static void exportMerged(Path modelDir, Path adapterDir, Path outDir) throws IOException {
        provider(peftType(adapterDir)).exportMerged(modelDir, adapterDir, outDir);
    }

    /** The {@code peft_type} of the adapter folder {@code dir} ({@code LORA}). */
    public static String peftType(Path dir) throws IOException {
        Path cfg = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(cfg)) {
            throw new FineTuneException(dir + " is not an adapter folder: it has no " + CONFIG_FILE);
        }
        JsonNode root;
        try {
            root = JSON.readTree(cfg.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new FineTuneException(cfg + ": not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")"));
        }
        JsonNode t = root.get("peft_type");
        if (t == null || !t.isTextual()) {
            throw new FineTuneException(cfg + ": missing \"peft_type\" (e.g. \"LORA\")");
        }
        return t.asText();
    }
}
