package dev.finetune4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.FineTuneException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class DatasetProblemTest {
    @Test
    void formatsAsPathLineMessage() {
        Path f = Path.of("data/cs.jsonl");
        assertEquals("data/cs.jsonl:7: record 7, messages[2].role: role \"tool\" is not allowed [siliconflow-4-roles]",
                new DatasetProblem(f, 7, 0, 7, "messages[2].role", "siliconflow-4-roles", "role \"tool\" is not allowed")
                        .format());
        assertEquals("data/cs.jsonl:3: column 12, record 2: JSON syntax error: x [json-syntax]",
                new DatasetProblem(f, 3, 12, 2, "", "json-syntax", "JSON syntax error: x").format());
        assertEquals("data/cs.jsonl: needs .jsonl [siliconflow-1-jsonl]",
                new DatasetProblem(f, 0, 0, 0, null, "siliconflow-1-jsonl", "needs .jsonl").format());
        assertEquals("data/cs.jsonl:2: record 2: two lines one [r]",
                new DatasetProblem(f, 2, 0, 2, "", "r", "two lines\none").format());
    }

    @Test
    void invalidDatasetMessageIsTheFirstProblemAndACount() {
        DatasetProblem a = new DatasetProblem(Path.of("a.json"), 1, 0, 1, "", "r", "bad");
        assertEquals("a.json:1: record 1: bad [r]", new InvalidDatasetException(List.of(a)).getMessage());
        InvalidDatasetException e = new InvalidDatasetException(List.of(a, a, a));
        assertEquals("a.json:1: record 1: bad [r] (and 2 more problems; run finetune validate to see all)", e.getMessage());
        assertEquals(3, e.problems().size());
    }

    @Test
    void optionsValidate() {
        assertThrows(FineTuneException.class, () -> DatasetOptions.DEFAULTS.withMaxSamples(0));
        assertThrows(FineTuneException.class, () -> DatasetOptions.DEFAULTS.withMaxProblems(0));
        assertEquals(ValidationPolicy.LENIENT, DatasetOptions.DEFAULTS.policy());
    }

    @Test
    void registryWithoutAnImplementationSaysWhichModuleToAdd() {
        // finetune-api alone has no DatasetRegistry implementation on its test class path
        FineTuneException e = assertThrows(FineTuneException.class,
                () -> DatasetRegistries.open(Path.of("data"), List.of("identity")));
        assertTrue(e.getMessage().contains("add the finetune-datasets module"), e.getMessage());
    }
}
