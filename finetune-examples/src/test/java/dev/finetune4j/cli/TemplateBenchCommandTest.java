package dev.finetune4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.testing.SharedFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TemplateBenchCommandTest {
    @Test
    void printsOneJsonLine(@TempDir Path dir) throws Exception {
        Path model = SharedFixtures.require("fixtures/tokenizers/qwen3");
        Path data = dir.resolve("alpaca.json");
        Files.writeString(data, "[{\"instruction\": \"Say hi\", \"input\": \"\", \"output\": \"Hi!\"},"
                + "{\"instruction\": \"Add\", \"input\": \"1+1\", \"output\": \"2\"}]");
        CliTestSupport.Result r = CliTestSupport.run("bench-templates", "--model", model.toString(), "--dataset",
                data.toString(), "--rounds", "1", "--threads", "2");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("{\"template\": \"qwen3\", \"examples\": 2, \"threads\": 2, \"examples_per_s\": "),
                r.out());
        CliTestSupport.Result missing = CliTestSupport.run("bench-templates", "--model", model.toString(),
                "--dataset", dir.resolve("none.json").toString());
        assertEquals(1, missing.exitCode());
        assertTrue(missing.err().startsWith("finetune: no such file: "), missing.err());
    }
}
