package dev.finetune4j.cli;

import dev.finetune4j.FineTuneException;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
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
            QuickstartCommand.class,
            TrainCommand.class,
            ChatCommand.class,
            ExportCommand.class,
            ValidateCommand.class,
            ConvertCommand.class,
            PreprocessCommand.class,
            PplCommand.class,
            EstimateCommand.class,
            TinyModelCommand.class,
            EnvCommand.class,
            TemplateBenchCommand.class,
            BenchValidateCommand.class,
            CommandLine.HelpCommand.class
        })
public final class FinetuneCli implements Runnable {

    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT,
            description = "Print stack traces of errors.")
    boolean debug;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** What interactive commands ({@code chat}) read; tests give their own. */
    InputStream stdin = InputStream.nullInputStream();

    /** True when standard output is a terminal: progress is then a bar redrawn in place, else plain lines. */
    boolean terminal;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        // UTF-8 whatever the platform default: datasets, answers and the progress bar are UTF-8 text
        PrintWriter out = new PrintWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.out),
                StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.err),
                StandardCharsets.UTF_8), true);
        System.exit(execute(args, System.in, out, err, System.console() != null));
    }

    /** Runs the command line with the given streams and returns the exit code (what tests call). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        return execute(args, InputStream.nullInputStream(), out, err, false);
    }

    /**
     * Runs the command line reading {@code in} (chat), printing to {@code out} and {@code err}; {@code terminal}
     * says whether {@code out} is a terminal (progress bars) or a log (plain lines).
     */
    public static int execute(String[] args, InputStream in, PrintWriter out, PrintWriter err, boolean terminal) {
        FinetuneCli root = new FinetuneCli();
        root.stdin = in;
        root.terminal = terminal;
        CommandLine cli = new CommandLine(root);
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
