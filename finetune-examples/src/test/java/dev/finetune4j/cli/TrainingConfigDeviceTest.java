package dev.finetune4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.config.FineTuneConfig;
import dev.finetune4j.config.LlamaFactoryArgs;
import dev.finetune4j.cuda.CudaDeviceSupport;
import dev.finetune4j.cuda.CudaStatus;
import dev.finetune4j.device.DeviceSpec;
import dev.finetune4j.device.Devices;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A training YAML with {@code device: cuda} on a machine without the CUDA backend: the same one line as
 * {@code finetune env --device cuda}, through the path {@code train} will take (YAML keys to
 * {@link FineTuneConfig}, then {@link Devices#activate} before the model is loaded).
 */
class TrainingConfigDeviceTest {

    private static FineTuneConfig config(String device) {
        Map<String, Object> yaml = new LinkedHashMap<>(); // as a YAML parser returns it
        yaml.put("model_name_or_path", "models/Qwen2.5-0.5B-Instruct");
        yaml.put("stage", "sft");
        yaml.put("finetuning_type", "lora");
        yaml.put("dataset", "identity");
        yaml.put("template", "qwen");
        yaml.put("output_dir", "saves/test");
        yaml.put("device", device);
        return LlamaFactoryArgs.apply(yaml, FineTuneConfig.builder(), "train.yaml").build();
    }

    @Test
    void deviceCudaWithoutTheBackendGivesTheOneLine() {
        assumeTrue(CudaDeviceSupport.cudaStatus(false).state() == CudaStatus.State.NO_BACKEND, "built with -Pcuda");
        FineTuneConfig c = config("cuda");
        FineTuneException e = assertThrows(FineTuneException.class,
                () -> Devices.activate(DeviceSpec.parse(c.model().device())));
        assertEquals("device cuda:0: the ND4J CUDA backend is not on the classpath; add"
                + " org.nd4j:nd4j-cuda-11.6:1.0.0-M2.1 with its linux-x86_64 natives (build with -Pcuda), and install"
                + " the CUDA 11.6 runtime (libcudart.so.11.0, cuBLAS, cuSOLVER) or add"
                + " org.bytedeco:cuda:11.6-8.3-1.5.7:linux-x86_64-redist (build with -Pcuda,cuda-redist)", e.getMessage());
    }

    @Test
    void anUnknownDeviceInTheYamlNamesTheValue() {
        FineTuneConfig c = config("tpu:0");
        FineTuneException e = assertThrows(FineTuneException.class, () -> DeviceSpec.parse(c.model().device()));
        assertEquals("device 'tpu:0': expected cpu, cuda, cuda:N (N = 0, 1, ...) or auto", e.getMessage());
    }
}
