package dev.finetune4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every command answers {@code --help} with its usage, and the top level lists the commands of DESIGN.md. */
class HelpTest {

    @Test
    void everyCommandHasHelp() {
        CommandLine cli = new CommandLine(new FinetuneCli());
        Set<String> names = cli.getSubcommands().keySet();
        assertTrue(names.containsAll(List.of("train", "chat", "export", "convert", "validate", "preprocess", "ppl", "env",
                "quickstart", "tiny-model")), names.toString());
        for (String name : names) {
            if (name.equals("help")) {
                continue;
            }
            CliTestSupport.Result r = CliTestSupport.run(name, "--help");
            assertEquals(0, r.exitCode(), name + ": " + r.err());
            assertTrue(r.out().startsWith("Usage: finetune " + name), name + ": " + r.out());
            assertTrue(r.out().contains("-h, --help"), name);
        }
    }

    @Test
    void topLevelHelpListsTheCommands() {
        CliTestSupport.Result r = CliTestSupport.run("--help");
        assertEquals(0, r.exitCode());
        for (String name : List.of("quickstart", "train", "chat", "export", "validate", "convert", "preprocess", "ppl",
                "env", "tiny-model")) {
            assertTrue(r.out().contains("\n  " + name + " "), name + " in\n" + r.out());
        }
        assertTrue(!r.out().contains("bench-templates"), "hidden benchmark commands stay hidden");
        assertEquals(0, CliTestSupport.run("help", "train").exitCode());
    }

    @Test
    void usageErrorsExitTwo() {
        CliTestSupport.Result r = CliTestSupport.run("train");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().startsWith("Missing required parameter: 'CONFIG.yaml'"), r.err());
        r = CliTestSupport.run("nonsense");
        assertEquals(2, r.exitCode());
        r = CliTestSupport.run("export", "--model", "m");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().startsWith("Missing required options: '--adapter=DIR', '--out=DIR'"), r.err());
    }
}
