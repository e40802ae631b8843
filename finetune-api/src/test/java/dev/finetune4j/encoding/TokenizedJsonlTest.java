package dev.finetune4j.encoding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.data.EncodedExample;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizedJsonlTest {
    @TempDir
    Path dir;

    @Test
    void writesOneObjectPerLineAndReadsItBack() throws Exception {
        List<EncodedExample> ex = List.of(new EncodedExample(new int[] {1, 2, 3}, new int[] {-100, 2, 3}),
                new EncodedExample(new int[] {151644}, new int[] {151644}));
        Path f = dir.resolve("sub/train.jsonl");
        assertEquals(2, TokenizedJsonl.write(f, ex));
        assertEquals("{\"input_ids\":[1,2,3],\"labels\":[-100,2,3]}\n{\"input_ids\":[151644],\"labels\":[151644]}\n",
                Files.readString(f));
        assertEquals(ex, TokenizedJsonl.read(f));
        try (var files = Files.list(f.getParent())) {
            assertEquals(1, files.count()); // no temporary file left behind
        }
    }

    @Test
    void errorsNameFileLineAndField() throws Exception {
        Path f = dir.resolve("bad.jsonl");
        Files.writeString(f, "{\"input_ids\":[1],\"labels\":[1]}\n{\"input_ids\":[1,2],\"labels\":[1]}\n");
        FineTuneException e = assertThrows(FineTuneException.class, () -> TokenizedJsonl.read(f));
        assertTrue(e.getMessage().startsWith(f + ":2: labels has 1 values"), e.getMessage());
        Files.writeString(f, "{\"input_ids\":[1,\"x\"]}\n");
        e = assertThrows(FineTuneException.class, () -> TokenizedJsonl.read(f));
        assertTrue(e.getMessage().contains(":1: field input_ids holds a non-integer"), e.getMessage());
        Files.writeString(f, "{\"input_ids\":[1,\n");
        e = assertThrows(FineTuneException.class, () -> TokenizedJsonl.read(f));
        assertTrue(e.getMessage().contains(":1:"), e.getMessage());
    }

    @Test
    void labelsDefaultToTheIds() throws Exception {
        Path f = dir.resolve("pt.jsonl");
        Files.writeString(f, "{\"input_ids\":[5,6]}\n\n");
        assertEquals(List.of(new EncodedExample(new int[] {5, 6}, new int[] {5, 6})), TokenizedJsonl.read(f));
    }
}
