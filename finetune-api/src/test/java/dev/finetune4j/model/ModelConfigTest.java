package dev.finetune4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.checkpoint.CheckpointException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelConfigTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path tmp;

    private static ModelConfig parse(String json) throws Exception {
        return ModelConfig.fromJson(JSON.readTree(json), "config.json");
    }

    /** The keys of Qwen2.5-0.5B-Instruct's config.json. */
    @Test
    void qwen25Config() throws Exception {
        ModelConfig c = parse("""
                {"architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
                 "eos_token_id": 151645, "hidden_act": "silu", "hidden_size": 896, "initializer_range": 0.02,
                 "intermediate_size": 4864, "max_position_embeddings": 32768, "max_window_layers": 21,
                 "model_type": "qwen2", "num_attention_heads": 14, "num_hidden_layers": 24, "num_key_value_heads": 2,
                 "rms_norm_eps": 1e-06, "rope_theta": 1000000.0, "sliding_window": 32768, "tie_word_embeddings": true,
                 "torch_dtype": "bfloat16", "transformers_version": "4.43.1", "use_cache": true,
                 "use_sliding_window": false, "vocab_size": 151936}""");
        assertEquals(64, c.headDim());
        assertEquals(7, c.groupSize());
        assertTrue(c.qkvBias());
        assertFalse(c.oBias());
        assertTrue(c.tieWordEmbeddings());
        assertEquals(0, c.slidingWindow(23), "use_sliding_window false: no window");
        assertEquals(List.of(151645), c.eosTokenIds());
        assertEquals("bfloat16", c.torchDtype());
        assertTrue(c.ropeScaling().isDefault());
    }

    @Test
    void llama32WithLlama3RopeAndEosList() throws Exception {
        ModelConfig c = parse("""
                {"model_type": "llama", "hidden_size": 2048, "intermediate_size": 8192, "num_hidden_layers": 16,
                 "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 64, "vocab_size": 128256,
                 "rms_norm_eps": 1e-05, "rope_theta": 500000.0, "attention_bias": false, "mlp_bias": false,
                 "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                                  "original_max_position_embeddings": 8192, "rope_type": "llama3"},
                 "tie_word_embeddings": true, "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009]}""");
        assertEquals("llama3", c.ropeScaling().type());
        assertEquals(32.0, c.ropeScaling().factor());
        assertEquals(List.of(128001, 128008, 128009), c.eosTokenIds());
        assertEquals(128000, c.bosTokenId());
        assertFalse(c.qkvBias());
    }

    @Test
    void transformersV5RopeParametersAndDtype() throws Exception {
        ModelConfig c = parse("""
                {"model_type": "qwen3", "hidden_size": 1024, "intermediate_size": 3072, "num_hidden_layers": 28,
                 "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 128, "vocab_size": 151936,
                 "rope_parameters": {"rope_theta": 1000000.0, "rope_type": "default"}, "dtype": "bfloat16"}""");
        assertEquals(1e6, c.ropeTheta());
        assertEquals(128, c.headDim(), "explicit head_dim differs from hidden/heads = 64");
        assertTrue(c.qkNorm());
        assertEquals("bfloat16", c.torchDtype());
        ModelConfig lin = parse("""
                {"model_type": "llama", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 1,
                 "num_attention_heads": 4, "vocab_size": 100,
                 "rope_parameters": {"rope_theta": 10000.0, "rope_type": "linear", "factor": 4.0}}""");
        assertEquals("linear", lin.ropeScaling().type());
        assertEquals(4, lin.numKeyValueHeads(), "num_key_value_heads defaults to the heads");
    }

    @Test
    void slidingWindows() throws Exception {
        ModelConfig mistral = parse("""
                {"model_type": "mistral", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 100, "sliding_window": 4096}""");
        assertEquals(List.of(4096, 4096), mistral.layerSlidingWindows());
        ModelConfig qwen = parse("""
                {"model_type": "qwen2", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 3,
                 "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 100, "sliding_window": 16,
                 "use_sliding_window": true, "max_window_layers": 1}""");
        assertEquals(List.of(0, 16, 16), qwen.layerSlidingWindows());
    }

    @Test
    void unsupportedModelTypeAndRopeTypeAreClearErrors() {
        CheckpointException e = assertThrows(CheckpointException.class, () -> parse("""
                {"model_type": "gemma2", "hidden_size": 64}"""));
        assertEquals("config.json: model_type \"gemma2\" is not supported yet; supported: llama, qwen2, qwen3, mistral",
                e.getMessage());
        e = assertThrows(CheckpointException.class, () -> parse("""
                {"model_type": "gpt2"}"""));
        assertTrue(e.getMessage().contains("\"gpt2\" is not supported; supported: llama, qwen2, qwen3, mistral"));
        e = assertThrows(CheckpointException.class, () -> parse("""
                {"model_type": "qwen2", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 1,
                 "num_attention_heads": 4, "vocab_size": 100, "rope_scaling": {"type": "yarn", "factor": 4.0}}"""));
        assertEquals("config.json: rope_scaling: rope type \"yarn\" is not supported; supported: default, linear, llama3",
                e.getMessage());
        e = assertThrows(CheckpointException.class, () -> parse("""
                {"model_type": "llama", "intermediate_size": 128, "num_hidden_layers": 1,
                 "num_attention_heads": 4, "vocab_size": 100}"""));
        assertEquals("config.json: missing \"hidden_size\"", e.getMessage());
        e = assertThrows(CheckpointException.class, () -> parse("""
                {"model_type": "llama", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 1,
                 "num_attention_heads": 4, "num_key_value_heads": 3, "vocab_size": 100}"""));
        assertTrue(e.getMessage().contains("multiple of num_key_value_heads (3)"), e.getMessage());
    }

    @Test
    void badJsonNamesLineAndColumn() throws Exception {
        Files.writeString(tmp.resolve("config.json"), "{\n  \"model_type\": \"llama\",\n  oops\n}");
        CheckpointException e = assertThrows(CheckpointException.class, () -> ModelConfig.read(tmp));
        assertTrue(e.getMessage().contains("config.json: not valid JSON") && e.getMessage().contains("line 3"),
                e.getMessage());
    }

    @Test
    void toJsonRoundTrips() throws Exception {
        for (String family : ModelConfig.SUPPORTED_MODEL_TYPES) {
            ModelConfig.Builder b = ModelConfig.builder(family).hidden(32).heads(4).kvHeads(2).headDim(16)
                    .ropeScaling(RopeScaling.llama3(8, 1, 4, 64)).eosTokenIds(List.of(3, 4)).bosTokenId(1);
            if (!family.equals("llama")) {
                b.slidingWindow(8);
            }
            ModelConfig c = b.build();
            JsonNode j = c.toJson();
            assertEquals(c, ModelConfig.fromJson(j, "x"), family);
        }
    }

    /**
     * inv_freq bit for bit (float32) as torchref computes it (hfmodel.compute_inv_freq):
     * llama3 (theta 5e5, d 64, factor 8, 1/4, orig 8192); default (1e6, d 128); linear 2 (1e4, d 16);
     * llama3 (5e5, d 16, orig 32).
     */
    @Test
    void inverseFrequenciesEqualTheReference() {
        int[][] want = {
            {1065353216, 1059709382, 1054963644, 1049992931, 1044812720, 1040434848, 1034871981, 1030233703, 1025116360, 1020030793, 1015523779, 1010044269, 1005516623, 1000248322, 995260192, 984863005, 973706706, 960179666, 950223245, 945335425, 940558584, 935253236, 930956739, 925373035, 920588484, 915670731, 910456336, 906125108, 900532135, 895853901, 890791079, 885670320},
            {1065353216, 1062095789, 1059470816, 1057355503, 1054337179, 1051589887, 1049376004, 1046607925, 1043732615, 1041415569, 1038909398, 1035900102, 1033475085, 1031243027, 1028093503, 1025555485, 1023510243, 1020314024, 1017657739, 1015517192, 1012562930, 1009782866, 1007542573, 1004841542, 1001931932, 999587246, 997151246, 994106053, 991652109, 989493488, 986306396, 983738103, 981668463, 978534184, 975846212, 973680130, 970790693, 967977467, 965710450, 963077266, 960132947, 957760292, 955395298, 952313781, 949830564, 947746260, 944521150, 941922219, 939827890, 936756289, 934036253, 931844333, 929020495, 926173710, 923879651, 921315122, 918335681, 915934722, 913641584, 910523307, 908010468, 905985516, 902737785, 900107852},
            {1056964608, 1042409627, 1028443341, 1015121635, 1000593162, 986660408, 973279855, 958778208},
            {1065353216, 1019646896, 999950536, 980350799, 960060705, 940558584, 920588484, 900532135}
        };
        float[][] got = {
            RopeScaling.llama3(8, 1, 4, 8192).inverseFrequencies(500000, 64),
            RopeScaling.NONE.inverseFrequencies(1000000, 128),
            RopeScaling.linear(2).inverseFrequencies(10000, 16),
            RopeScaling.llama3(8, 1, 4, 32).inverseFrequencies(500000, 16),
        };
        for (int c = 0; c < want.length; c++) {
            assertEquals(want[c].length, got[c].length);
            for (int j = 0; j < want[c].length; j++) {
                int ulps = Math.abs(Float.floatToIntBits(got[c][j]) - want[c][j]);
                assertTrue(ulps <= 1, "case " + c + " j " + j + ": " + got[c][j] + " vs " + Float.intBitsToFloat(want[c][j]));
            }
        }
    }
}
