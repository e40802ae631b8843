package dev.finetune4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.FineTuneException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LlamaFactoryArgsTest {

    /** LLaMA-Factory's examples/train_lora/qwen3_lora_sft.yaml (commit ff6d4d12) as a YAML parser returns it. */
    private static Map<String, Object> upstreamSftExample() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model_name_or_path", "models/Qwen3-4B-Instruct-2507");
        m.put("trust_remote_code", true);
        m.put("stage", "sft");
        m.put("do_train", true);
        m.put("finetuning_type", "lora");
        m.put("lora_rank", 8);
        m.put("lora_target", "all");
        m.put("dataset", "identity,alpaca_en_demo");
        m.put("template", "qwen3_nothink");
        m.put("cutoff_len", 2048);
        m.put("max_samples", 1000);
        m.put("preprocessing_num_workers", 16);
        m.put("dataloader_num_workers", 4);
        m.put("output_dir", "saves/qwen3-4b/lora/sft");
        m.put("logging_steps", 10);
        m.put("save_steps", 500);
        m.put("plot_loss", true);
        m.put("overwrite_output_dir", true);
        m.put("save_only_model", false);
        m.put("report_to", "none");
        m.put("per_device_train_batch_size", 1);
        m.put("gradient_accumulation_steps", 8);
        m.put("learning_rate", 1.0e-4);
        m.put("num_train_epochs", 3.0);
        m.put("lr_scheduler_type", "cosine");
        m.put("warmup_ratio", 0.1);
        m.put("bf16", true);
        m.put("ddp_timeout", 180000000);
        m.put("resume_from_checkpoint", null);
        return m;
    }

    private static FineTuneConfig apply(Map<String, Object> m) {
        return LlamaFactoryArgs.apply(m, FineTuneConfig.builder(), "x.yaml").build();
    }

    @Test
    void upstreamExampleRunsUnchanged() {
        FineTuneConfig c = apply(upstreamSftExample());
        assertEquals(Path.of("models/Qwen3-4B-Instruct-2507"), c.model().modelNameOrPath());
        assertEquals(List.of("identity", "alpaca_en_demo"), c.data().datasets());
        assertEquals("qwen3_nothink", c.data().template());
        assertEquals(Stage.SFT, c.method().stage());
        assertEquals(8, c.method().loraRank());
        assertEquals(16, c.method().loraAlpha(), "lora_alpha defaults to 2 x rank as in LLaMA-Factory");
        assertEquals(List.of("all"), c.method().loraTarget());
        assertEquals(1000, c.data().maxSamples());
        assertEquals(1, c.training().perDeviceTrainBatchSize());
        assertEquals(8, c.training().gradientAccumulationSteps());
        assertEquals(1e-4, c.training().learningRate());
        assertEquals(SchedulerType.COSINE, c.training().lrSchedulerType());
        assertEquals(0.1, c.training().warmupRatio());
        assertEquals(10, c.training().loggingSteps());
        assertNull(c.training().resumeFromCheckpoint());
        assertEquals(1.0, c.training().maxGradNorm(), "HF default clipping");
    }

    @Test
    void misspeltKeyNamesTheClosestKnownKey() {
        Map<String, Object> m = upstreamSftExample();
        m.put("lerning_rate", "1e-4");
        FineTuneException e = assertThrows(FineTuneException.class, () -> apply(m));
        assertEquals("x.yaml: unknown key 'lerning_rate' (did you mean 'learning_rate'?)", e.getMessage());
        assertEquals("per_device_train_batch_size", LlamaFactoryArgs.closestKey("per_device_train_batchsize"));
        assertEquals("lora_target", LlamaFactoryArgs.closestKey("lora_targets"));
        assertNull(LlamaFactoryArgs.closestKey("completely_unrelated_setting_name"));
    }

    @Test
    void knownButUnsupportedKeyIsAnErrorUnlessItHasItsDefaultValue() {
        Map<String, Object> m = upstreamSftExample();
        m.put("use_galore", false);
        m.put("mix_strategy", "concat");
        m.put("deepspeed", null);
        apply(m); // defaults change nothing

        m.put("use_galore", true);
        FineTuneException e = assertThrows(FineTuneException.class, () -> apply(m));
        assertEquals("x.yaml: use_galore is a LLaMA-Factory option that finetune4j does not support yet "
                + "(remove it to continue)", e.getMessage());
    }

    @Test
    void valuesAreCoercedAsHuggingFaceDoes() {
        Map<String, Object> m = upstreamSftExample();
        m.put("learning_rate", "2e-4"); // YAML 1.1 reads 2e-4 as a string
        m.put("lora_target", "q_proj, v_proj");
        m.put("num_train_epochs", "1");
        m.put("packing", "false");
        m.put("warmup_steps", 0.05); // newer HF: a fraction is a ratio
        FineTuneConfig c = apply(m);
        assertEquals(2e-4, c.training().learningRate());
        assertEquals(List.of("q_proj", "v_proj"), c.method().loraTarget());
        assertEquals(1.0, c.training().numTrainEpochs());
        assertFalse(c.data().packing());
        assertEquals(0.05, c.training().warmupRatio());
    }

    @Test
    void badValuesNameFileKeyAndValue() {
        Map<String, Object> m = upstreamSftExample();
        m.put("lora_rank", "eight");
        assertEquals("x.yaml: lora_rank must be a number, got 'eight'",
                assertThrows(FineTuneException.class, () -> apply(m)).getMessage());
        m.put("lora_rank", 8);
        m.put("stage", "sftt");
        assertTrue(assertThrows(FineTuneException.class, () -> apply(m)).getMessage()
                .startsWith("x.yaml: stage: stage 'sftt' is not one of pt, sft, rm, ppo, dpo, kto"));
        m.put("stage", "sft");
        m.put("optim", "sgd");
        assertTrue(assertThrows(FineTuneException.class, () -> apply(m)).getMessage().contains("adamw_torch"));
    }

    @Test
    void commandLineOverrides() {
        Map<String, Object> m = upstreamSftExample();
        m.putAll(LlamaFactoryArgs.parseOverrides(List.of("max_steps=5", "learning_rate=3e-4", "adapter_name_or_path=null")));
        FineTuneConfig c = apply(m);
        assertEquals(5, c.training().maxSteps());
        assertEquals(3e-4, c.training().learningRate());
        assertThrows(FineTuneException.class, () -> LlamaFactoryArgs.parseOverrides(List.of("max_steps")));
    }
}
