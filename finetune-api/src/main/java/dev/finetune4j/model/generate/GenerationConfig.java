package dev.finetune4j.model.generate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * What to generate: at most {@code maxNewTokens}, chosen by {@code sampling}, stopping at any of {@code eosTokenIds}
 * (the model's end ids) or {@code stopTokenIds} (e.g. a chat template's end-of-turn token).
 */
public record GenerationConfig(int maxNewTokens, SamplingConfig sampling, Set<Integer> eosTokenIds,
                               Set<Integer> stopTokenIds) {
    public GenerationConfig {
        if (maxNewTokens <= 0) {
            throw new IllegalArgumentException("maxNewTokens must be > 0, got " + maxNewTokens);
        }
        sampling = sampling == null ? SamplingConfig.greedy() : sampling;
        eosTokenIds = Set.copyOf(eosTokenIds == null ? Set.of() : eosTokenIds);
        stopTokenIds = Set.copyOf(stopTokenIds == null ? Set.of() : stopTokenIds);
    }

    public static GenerationConfig greedy(int maxNewTokens, Set<Integer> eosTokenIds) {
        return new GenerationConfig(maxNewTokens, SamplingConfig.greedy(), eosTokenIds, Set.of());
    }

    public GenerationConfig withSampling(SamplingConfig s) {
        return new GenerationConfig(maxNewTokens, s, eosTokenIds, stopTokenIds);
    }

    public GenerationConfig withStopTokenIds(Set<Integer> ids) {
        return new GenerationConfig(maxNewTokens, sampling, eosTokenIds, ids);
    }

    /**
     * The defaults of a model folder's {@code generation_config.json} (eos ids, do_sample, temperature, top_k, top_p,
     * repetition_penalty; HF's defaults where a key is absent) plus {@code config.json}'s eos ids.
     */
    public static GenerationConfig fromModelDir(Path dir, int maxNewTokens, Set<Integer> configEos) throws IOException {
        Set<Integer> eos = new LinkedHashSet<>(configEos);
        SamplingConfig s = SamplingConfig.greedy();
        Path file = dir.resolve("generation_config.json");
        if (Files.isRegularFile(file)) {
            JsonNode g = new ObjectMapper().readTree(file.toFile());
            JsonNode e = g.get("eos_token_id");
            if (e != null && e.isArray()) {
                e.forEach(x -> eos.add(x.asInt()));
            } else if (e != null && e.isIntegralNumber()) {
                eos.add(e.asInt());
            }
            s = new SamplingConfig(g.path("do_sample").asBoolean(false), g.path("temperature").asDouble(1.0),
                    g.path("top_k").asInt(50), g.path("top_p").asDouble(1.0),
                    g.path("repetition_penalty").asDouble(1.0), 0);
        }
        return new GenerationConfig(maxNewTokens, s, eos, Set.of());
    }
}
