package dev.finetune4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.model.ModelConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code finetune estimate} on Qwen2.5-0.5B's config.json. */
class EstimateCommandTest {
    @TempDir
    Path tmp;

    private Path qwen05() throws Exception {
        ModelConfig c = ModelConfig.builder("qwen2").hidden(896).layers(24).heads(14).kvHeads(2).intermediate(4864)
                .vocab(151936).tieWordEmbeddings(true).ropeTheta(1000000).build();
        Files.writeString(tmp.resolve("config.json"), c.toJson().toString());
        return tmp;
    }

    @Test
    void everyMethodBesideTheRuleOfThumb() throws Exception {
        Path model = qwen05();
        CliTestSupport.Result r = CliTestSupport.run("estimate", "--model", model.toString(), "--batch", "2",
                "--cutoff", "512");
        assertEquals(0, r.exitCode(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(8, lines.size(), r.out());
        assertTrue(lines.get(0).contains("494.0M parameters; batch 2 × cutoff 512, LoRA rank 8"), lines.get(0));
        assertTrue(lines.get(1).startsWith("method "), lines.get(1));
        assertTrue(lines.get(2).startsWith("lora "), lines.get(2));
        assertTrue(lines.get(2).contains("4.4M"), lines.get(2) + ": LoRA r=8 on all linear layers of qwen2.5-0.5B");
        assertTrue(lines.get(2).endsWith("988 MB (LoRA: 2x)"), lines.get(2));
        // fp32: 494M parameters = 1.98 GB, plus the adapter's 4.4M
        assertTrue(lines.get(2).contains(" 1.99 GB "), lines.get(2));
        // 4-bit: 358M linear weights in 185 MB, the tied embedding and norms in fp32 (545 MB), the adapter 18 MB
        assertTrue(lines.get(3).startsWith("qlora-4 ") && lines.get(3).contains(" 747 MB "), lines.get(3));
        assertTrue(lines.get(3).endsWith("247 MB (QLoRA 4-bit: x/2)"), lines.get(3));
        assertTrue(lines.get(4).startsWith("qlora-8 ") && lines.get(4).contains(" 921 MB "), lines.get(4));
        // freeze: the last 2 layers (2 × 14.9M parameters) get gradients (119 MB) and AdamW moments (239 MB)
        assertTrue(lines.get(5).startsWith("freeze ") && lines.get(5).contains("29.8M") && lines.get(5)
                .contains(" 119 MB    239 MB "), lines.get(5));
        assertTrue(lines.get(6).startsWith("full ") && lines.get(6).contains("494.0M")
                && lines.get(6).endsWith("8.89 GB (full AMP: 18x)"), lines.get(6));
        assertTrue(lines.get(7).startsWith("This engine trains in fp32"), lines.get(7));
    }

    @Test
    void oneMethodAndErrors() throws Exception {
        Path model = qwen05();
        CliTestSupport.Result r = CliTestSupport.run("estimate", "--model", model.toString(), "--method", "qlora-8");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(4, r.out().lines().count());
        r = CliTestSupport.run("estimate", "--model", model.toString(), "--method", "qlora-3");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().startsWith("finetune: --method: method 'qlora-3' is not one of"), r.err());
        r = CliTestSupport.run("estimate", "--model", tmp.resolve("none").toString());
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("has no config.json"), r.err());
    }
}
