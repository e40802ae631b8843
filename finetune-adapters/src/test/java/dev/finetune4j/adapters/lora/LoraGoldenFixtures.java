package dev.finetune4j.adapters.lora;

import dev.finetune4j.model.CausalLM;
import dev.finetune4j.model.ModelConfig;
import dev.finetune4j.model.ModelOptions;
import dev.finetune4j.model.tiny.TinyModelWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The tiny model and the Java-written adapter behind the golden files in {@code src/test/resources/lora-golden}
 * (see the README there). Runs only when asked:
 * {@code mvn -o -q -B -pl finetune-adapters -am test -Dtest=LoraGoldenFixtures -Dsurefire.failIfNoSpecifiedTests=false
 * -Dfinetune4j.fixtureDir=/tmp/lora-golden}.
 */
class LoraGoldenFixtures {
    static final int RANK = 4;
    static final double ALPHA = 8;
    static final long ADAPTER_SEED = 7;

    /** The model of the golden files: TinyModelWriter is deterministic, so tests rebuild it instead of storing it. */
    static ModelConfig writeModel(Path dir) throws Exception {
        ModelConfig arch = ModelConfig.builder("qwen2").hidden(32).layers(2).heads(4).kvHeads(2).intermediate(64)
                .vocab(300).build();
        return TinyModelWriter.of(arch).seed(0).std(0.1).write(dir);
    }

    /** The Java adapter of the golden files: all seven projections, RANDOM init (B nonzero). */
    static LoraAdapter javaAdapter() {
        return LoraAdapter.create(LoraConfig.of(RANK, ALPHA, 0, "all").withInit(LoraInit.RANDOM), ADAPTER_SEED);
    }

    @Test
    @EnabledIfSystemProperty(named = "finetune4j.fixtureDir", matches = ".+")
    void write() throws Exception {
        Path out = Path.of(System.getProperty("finetune4j.fixtureDir"));
        writeModel(out.resolve("model"));
        CausalLM m = CausalLM.load(out.resolve("model"), ModelOptions.defaults());
        LoraAdapter lora = javaAdapter();
        lora.apply(m);
        lora.save(out.resolve("java_adapter"), "tiny-qwen2");
    }
}
