package dev.finetune4j.train.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointFoldersTest {
    @TempDir
    Path out;

    @Test
    void savesWholeCheckpointsAndRotatesTheOldest() throws IOException {
        CheckpointFolders c = new CheckpointFolders(out);
        for (long step : new long[] {10, 20, 30}) {
            c.save(step, dir -> Files.writeString(dir.resolve("state.json"), "{\"step\":" + step + "}"));
        }
        assertEquals(List.of(out.resolve("checkpoint-10"), out.resolve("checkpoint-20"), out.resolve("checkpoint-30")),
                c.list());
        c.rotate(2);
        assertEquals(List.of(out.resolve("checkpoint-20"), out.resolve("checkpoint-30")), c.list());
        assertEquals(out.resolve("checkpoint-30"), c.latest().orElseThrow());
        assertEquals("{\"step\":30}", Files.readString(out.resolve("checkpoint-30/state.json")));
        assertEquals("rwxr-xr-x", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(out.resolve("checkpoint-30"))), "folders readable by others, like mkdir");
    }

    @Test
    void aFailedWriteLeavesNoCheckpointAndKeepsTheOldOne() throws IOException {
        CheckpointFolders c = new CheckpointFolders(out);
        c.save(5, dir -> Files.writeString(dir.resolve("a"), "old"));
        assertThrows(IOException.class, () -> c.save(5, dir -> {
            Files.writeString(dir.resolve("a"), "half");
            throw new IOException("disk full");
        }));
        assertThrows(IOException.class, () -> c.save(6, dir -> {
            throw new IOException("disk full");
        }));
        assertEquals("old", Files.readString(out.resolve("checkpoint-5/a")));
        assertFalse(Files.exists(out.resolve("checkpoint-6")));
        try (Stream<Path> s = Files.list(out)) {
            assertEquals(1, s.count(), "no temporary folders left behind");
        }
        assertTrue(c.latest().isPresent());
        assertEquals(5, CheckpointFolders.step(c.latest().get()));
    }
}
