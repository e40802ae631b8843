package dev.finetune4j.cli;

import dev.finetune4j.FineTuneException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code finetune} command. Exit codes: 0 success, 1 a user error (one line on stderr, the stack
 * trace only with {@code --debug}), 2 a usage error. Each subcommand is its own class in this package.
 */
@Command(name = "finetune",
        mixinStandardHelpOptions = true,
        versionProvider = FinetuneCli.Version.class,
        description = "Fine-tune open large language models on your own data, on the JVM.",
        subcommands = {
            EnvCommand.class,
            TemplateBenchCommand.class,
            PplCommand.class,
            ValidateCommand.class,
            ConvertCommand.class,
            PreprocessCommand.class,
            BenchValidateCommand.class,
            CommandLine.HelpCommand.class
        })
public final class FinetuneCli implements Runnable {

    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT,
            description = "Print stack traces of errors.")
    boolean debug;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the given streams and returns the exit code (what tests call). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new FinetuneCli());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            boolean debug = parseResult.hasMatchedOption("--debug")
                    || parseResult.subcommands().stream().anyMatch(p -> p.hasMatchedOption("--debug"));
            commandLine.getErr().println("finetune: " + userMessage(ex));
            if (debug) {
                ex.printStackTrace(commandLine.getErr());
            }
            commandLine.getErr().flush();
            return 1;
        });
        return cli.execute(args);
    }

    /** One line for a person: the message of a user error, or the kind and message of anything else. */
    static String userMessage(Throwable ex) {
        Throwable t = ex;
        if (t instanceof UncheckedIOException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof NoSuchFileException nsf) {
            return "no such file: " + nsf.getFile();
        }
        if (t instanceof FineTuneException || t instanceof IOException || t instanceof IllegalArgumentException) {
            String m = t.getMessage();
            return m == null ? t.getClass().getSimpleName() : m.replace('\n', ' ');
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage() + " (run with --debug for details)";
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = FinetuneCli.class.getPackage().getImplementationVersion();
            return new String[] {"finetune4j " + (v == null ? "0.1.0-SNAPSHOT" : v)};
        }
    }
}
