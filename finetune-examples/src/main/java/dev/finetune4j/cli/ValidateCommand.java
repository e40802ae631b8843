package dev.finetune4j.cli;

import dev.finetune4j.datasets.Dataset;
import dev.finetune4j.datasets.DatasetFormat;
import dev.finetune4j.datasets.Datasets;
import dev.finetune4j.datasets.ValidationReport;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code finetune validate}: checks a dataset file or LLaMA-Factory registry entries and prints each problem as
 * {@code PATH:LINE: message}, then {@code N records, M invalid}; exit 0 when nothing is invalid, else 1.
 */
@Command(name = "validate", mixinStandardHelpOptions = true,
        description = {"Check a dataset and print every problem as PATH:LINE: message, then 'N records, M invalid'.",
            "Exit 0 when nothing is invalid, 1 otherwise."},
        footer = {"", "Examples:", "  finetune validate data/cs.jsonl --format siliconflow",
            "  finetune validate --dataset-dir data --dataset alpaca_en_demo,identity"})
final class ValidateCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "FILE", description = "A dataset file (or a folder of files of one type).")
    Path file;

    @Option(names = "--format", paramLabel = "FORMAT",
            description = "alpaca, sharegpt, siliconflow or text; guessed from the first record when left out.")
    String format;

    @Option(names = "--dataset-dir", paramLabel = "DIR", description = "A folder with dataset_info.json.")
    Path datasetDir;

    @Option(names = "--dataset", paramLabel = "NAME[,NAME]", description = "Registry names in --dataset-dir.")
    String dataset;

    @Override
    public Integer call() throws Exception {
        Dataset d = open(spec, file, format, datasetDir, dataset);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        for (String n : d.notices()) {
            err.println("warning: " + n);
        }
        err.flush();
        ValidationReport r = d.validate(p -> out.println(p.format()));
        out.println(r.summary());
        out.flush();
        return r.ok() ? 0 : 1;
    }

    /** The dataset named by FILE [--format] or --dataset-dir/--dataset (a usage error for anything else). */
    static Dataset open(CommandLine.Model.CommandSpec spec, Path file, String format, Path datasetDir, String dataset) {
        if (file != null) {
            if (datasetDir != null || dataset != null) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "give either FILE [--format F] or --dataset-dir DIR --dataset NAME, not both");
            }
            return format == null ? Datasets.of(file) : Datasets.of(file, DatasetFormat.parse(format));
        }
        if (dataset == null) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "give a dataset FILE, or --dataset NAME[,NAME] (with --dataset-dir DIR, default data)");
        }
        if (format != null) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--format is for a FILE; registry entries have their formatting in dataset_info.json");
        }
        return Datasets.llamaFactory(datasetDir == null ? Path.of("data") : datasetDir, dataset);
    }
}
