package dev.finetune4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class EnvCommandTest {

    @Test
    void printsBackendCoresAndMemory() {
        CliTestSupport.Result r = CliTestSupport.run("env");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("backend:"), r.out());
        assertTrue(r.out().contains("CpuBackend"), r.out());
        assertTrue(r.out().matches("(?s).*cores:\\s+\\d+.*"), r.out());
    }

    @Test
    void helpWorks() {
        CliTestSupport.Result r = CliTestSupport.run("env", "--help");
        assertEquals(0, r.exitCode());
        assertTrue(r.out().contains("Usage: finetune env"), r.out());
    }

    @Test
    void unknownCommandIsAUsageError() {
        CliTestSupport.Result r = CliTestSupport.run("no-such-command");
        assertEquals(2, r.exitCode());
    }
}
