package dev.finetune4j.cli;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.data.DatasetProblem;
import dev.finetune4j.data.InvalidDatasetException;
import dev.finetune4j.datasets.Dataset;
import dev.finetune4j.datasets.DatasetFormat;
import dev.finetune4j.datasets.Datasets;
import dev.finetune4j.datasets.convert.DatasetConverter;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code finetune convert IN --from F --to F --out OUT}: format conversion, written atomically. A record that is
 * invalid or that the target cannot hold (tools in SiliconFlow, ...) stops it: each such problem is printed as
 * {@code PATH:LINE: message} and nothing is written.
 */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Convert a dataset between alpaca, sharegpt and siliconflow (and text), atomically.",
            "What the target cannot hold (e.g. tools in siliconflow) is an error; nothing is dropped silently."},
        footer = {"", "Example:", "  finetune convert alpaca_zh_demo.json --from alpaca --to siliconflow --out zh.jsonl",
            "", "The output is JSON Lines when OUT ends in .jsonl, else one JSON array."})
final class ConvertCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN", description = "The input file.")
    Path in;

    @Option(names = "--from", paramLabel = "FORMAT", description = "Input format; guessed from the first record when left out.")
    String from;

    @Option(names = "--to", required = true, paramLabel = "FORMAT", description = "alpaca, sharegpt, siliconflow or text.")
    String to;

    @Option(names = "--out", required = true, paramLabel = "OUT", description = "The output file (.jsonl or .json).")
    Path out;

    @Option(names = "--max-problems", defaultValue = "20", paramLabel = "N",
            description = "List at most N problems. Default: ${DEFAULT-VALUE}.")
    int maxProblems;

    @Override
    public Integer call() throws Exception {
        if (maxProblems < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max-problems must be >= 1");
        }
        DatasetFormat target = DatasetFormat.parse(to);
        Dataset d = (from == null ? Datasets.of(in) : Datasets.of(in, DatasetFormat.parse(from))).strict(maxProblems);
        long n;
        try {
            n = DatasetConverter.convert(d, target, out);
        } catch (InvalidDatasetException e) {
            PrintWriter err = spec.commandLine().getErr();
            for (DatasetProblem p : e.problems()) {
                err.println(p.format());
            }
            err.flush();
            throw new FineTuneException("nothing written to " + out + ": " + e.problems().size()
                    + (e.problems().size() >= maxProblems ? " or more" : "") + " record(s) cannot be converted (listed above)");
        }
        spec.commandLine().getOut().println("wrote " + n + " records to " + out + " (" + target + ")");
        spec.commandLine().getOut().flush();
        return 0;
    }
}
