package dev.finetune4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.finetune4j.FineTuneException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class FineTuneConfigTest {

    private static FineTuneConfig.Builder minimal() {
        return FineTuneConfig.builder().modelNameOrPath(Path.of("m")).outputDir(Path.of("out"))
                .dataset("identity").template("qwen");
    }

    @Test
    void huggingFaceAndLlamaFactoryDefaults() {
        FineTuneConfig c = minimal().build();
        assertEquals(8, c.training().perDeviceTrainBatchSize());
        assertEquals(5e-5, c.training().learningRate());
        assertEquals(3.0, c.training().numTrainEpochs());
        assertEquals(-1, c.training().maxSteps());
        assertEquals(SchedulerType.LINEAR, c.training().lrSchedulerType());
        assertEquals(1.0, c.training().maxGradNorm());
        assertEquals(42, c.training().seed());
        assertEquals(2048, c.data().cutoffLen());
        assertEquals(FinetuningType.LORA, c.method().finetuningType());
        assertEquals(8, c.method().loraRank());
        assertEquals(16, c.method().loraAlpha());
        assertEquals(0.0, c.method().loraDropout());
        assertEquals(2.0, c.method().loraScaling());
        assertEquals(0.1, c.preference().prefBeta());
        assertEquals(PreferenceLoss.SIGMOID, c.preference().prefLoss());
    }

    @Test
    void presetsOfSiliconFlowsGuide() {
        FineTuneConfig standard = minimal().preset(FineTuneConfig.Preset.STANDARD).build();
        assertEquals(1e-4, standard.training().learningRate());
        assertEquals(3.0, standard.training().numTrainEpochs());
        assertEquals(8, standard.training().perDeviceTrainBatchSize());
        assertEquals(8, standard.method().loraRank());
        assertEquals(32, standard.method().loraAlpha());
        assertEquals(0.05, standard.method().loraDropout());
        FineTuneConfig quality = minimal().preset(FineTuneConfig.Preset.parse("quality")).build();
        assertEquals(5.0, quality.training().numTrainEpochs());
        assertEquals(16, quality.training().perDeviceTrainBatchSize());
        assertEquals(16, quality.method().loraRank());
        assertEquals(64, quality.method().loraAlpha());
        FineTuneConfig fast = minimal().preset(FineTuneConfig.Preset.FAST).loraDropout(0.1).build();
        assertEquals(2.0, fast.training().numTrainEpochs());
        assertEquals(4, fast.method().loraRank());
        assertEquals(16, fast.method().loraAlpha());
        assertEquals(0.1, fast.method().loraDropout(), "settings after the preset override it");
    }

    private static String error(FineTuneConfig.Builder b) {
        return assertThrows(FineTuneException.class, b::build).getMessage();
    }

    @Test
    void validationSaysWhatToChange() {
        assertEquals("no model: set model_name_or_path (builder: .model(Path)) to a HuggingFace checkpoint folder",
                error(FineTuneConfig.builder().outputDir(Path.of("o")).dataset("d").template("qwen")));
        assertEquals("no output folder: set output_dir (builder: .outputDir(Path))",
                error(FineTuneConfig.builder().modelNameOrPath(Path.of("m")).dataset("d").template("qwen")));
        assertEquals("lora_rank must be at least 1, got 0", error(minimal().loraRank(0)));
        assertEquals("lora_dropout must be in [0, 1), got 1.0", error(minimal().loraDropout(1.0)));
        assertEquals("learning_rate must be positive, got -1.0", error(minimal().learningRate(-1)));
        assertEquals("set num_train_epochs > 0 or max_steps > 0", error(minimal().numTrainEpochs(0)));
        assertEquals("quantization_bit must be 4 or 8 (or absent), got 3", error(minimal().quantizationBit(3)));
        assertEquals("quantization_bit needs finetuning_type: lora (a quantized base cannot be trained directly)",
                error(minimal().quantizationBit(4).finetuningType(FinetuningType.FULL)));
        assertEquals("val_size and eval_dataset cannot be combined: remove one of them",
                error(minimal().valSize(0.1).evalDatasets(java.util.List.of("x"))));
        assertEquals("stage: ppo needs reward_model (a reward model folder written by stage: rm)",
                error(minimal().stage(Stage.PPO)));
        assertEquals("no chat template: set template (e.g. qwen, llama3, chatml) or pass .template(ChatTemplate)",
                error(FineTuneConfig.builder().modelNameOrPath(Path.of("m")).outputDir(Path.of("o")).dataset("d")));
    }
}
