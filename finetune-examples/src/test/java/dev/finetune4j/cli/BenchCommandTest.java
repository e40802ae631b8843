package dev.finetune4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class BenchCommandTest {

    @Test
    void oneStepOnTheMicroPresetPrintsOneJsonLine() throws Exception {
        CliTestSupport.Result r = CliTestSupport.run("bench", "--preset", "micro", "--batch", "2", "--seq", "16",
                "--steps", "2", "--warmup", "1", "--profile");
        assertEquals(0, r.exitCode(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals(1, lines.length, r.out());
        JsonNode j = new ObjectMapper().readTree(lines[0]);
        assertEquals("micro", j.get("preset").asText());
        assertEquals(2, j.get("batch").asInt());
        assertEquals(16, j.get("seq").asInt());
        assertTrue(j.get("threads").asInt() >= 1);
        double step = j.get("step_s_median").asDouble();
        assertTrue(step > 0, lines[0]);
        assertEquals(32 / step, j.get("tokens_per_s").asDouble(), 32 / step * 1e-3);
        assertTrue(j.get("peak_rss_mb").asDouble() > 0, lines[0]);
        // LoRA r8 on q/k/v/o/gate/up/down of 2 layers (hidden 64, kv 32, inter 128): 8·Σ(in+out) per layer
        long perLayer = 8L * ((64 + 64) + (64 + 32) + (64 + 32) + (64 + 64) + (64 + 128) * 2 + (128 + 64));
        assertEquals(2 * perLayer, j.get("params_trainable").asLong());
        // random ids over 512 tokens: the loss starts near ln(512) and the LoRA steps move it
        assertEquals(Math.log(512), j.get("loss_first").asDouble(), 0.1);
        assertTrue(j.get("loss_last").asDouble() != j.get("loss_first").asDouble(), lines[0]);
        assertTrue(r.err().contains("mlp.gate_up") && r.err().contains("clip+adamw"), r.err());
    }

    @Test
    void qloraBaseRunsAndBadOptionsAreRefused() throws Exception {
        for (String bits : new String[] {"4", "8"}) {
            CliTestSupport.Result r = CliTestSupport.run("bench", "--preset", "micro", "--seq", "16", "--steps", "2",
                    "--warmup", "1", "--quantization-bit", bits);
            assertEquals(0, r.exitCode(), r.err());
            JsonNode j = new ObjectMapper().readTree(r.out().strip());
            assertEquals(Integer.parseInt(bits), j.get("quantization_bit").asInt(), r.out());
            assertEquals(Math.log(512), j.get("loss_first").asDouble(), 0.1);
            assertTrue(j.get("loss_last").asDouble() != j.get("loss_first").asDouble(), r.out());
        }
        CliTestSupport.Result bad = CliTestSupport.run("bench", "--preset", "micro", "--quantization-bit", "3");
        assertEquals(1, bad.exitCode());
        assertTrue(bad.err().contains("must be 4 or 8"), bad.err());
        assertEquals(2, CliTestSupport.run("bench", "--preset", "huge").exitCode());
    }
}
