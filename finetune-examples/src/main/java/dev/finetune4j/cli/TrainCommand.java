package dev.finetune4j.cli;

import dev.finetune4j.FineTuneResult;
import dev.finetune4j.FineTuner;
import dev.finetune4j.config.DataSettings;
import dev.finetune4j.config.FineTuneConfig;
import dev.finetune4j.config.LlamaFactoryArgs;
import dev.finetune4j.data.DatasetOptions;
import dev.finetune4j.data.DatasetRegistries;
import dev.finetune4j.data.Example;
import dev.finetune4j.data.ValidationPolicy;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code finetune train CONFIG.yaml [key=value ...]}: a LLaMA-Factory training YAML, run as it is. Keys are read by
 * {@link LlamaFactoryArgs} (unknown keys name the closest known one, known but unsupported ones say so);
 * {@code key=value} arguments override the file, as with {@code llamafactory-cli train}. Shows progress, then a
 * summary and the files written.
 *
 * <p>The registry datasets are checked strictly before anything is loaded: a bad record stops the run with its
 * {@code PATH:LINE} (as {@code finetune validate} prints it). {@code --skip-invalid} instead drops bad records with
 * a warning, as LLaMA-Factory does.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Fine-tune a model with a LLaMA-Factory training YAML (its keys, unchanged).",
            "Relative paths in the YAML resolve against the current folder, as in LLaMA-Factory."},
        footer = {"", "Example:", "  finetune train examples/tiny_lora_sft.yaml num_train_epochs=10 learning_rate=1e-3"})
final class TrainCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.ParentCommand
    FinetuneCli cli;

    @Parameters(index = "0", paramLabel = "CONFIG.yaml",
            description = "Training YAML with LLaMA-Factory keys (model_name_or_path, dataset, template, ...).")
    Path config;

    @Parameters(index = "1..*", paramLabel = "KEY=VALUE",
            description = "Overrides of keys in the YAML, e.g. learning_rate=1e-4 output_dir=saves/run2.")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--skip-invalid",
            description = "Drop invalid dataset records with a warning, as LLaMA-Factory does (default: stop at a bad"
                    + " record, naming its file and line).")
    boolean skipInvalid;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Map<String, Object> yaml = TrainingYaml.read(config);
        Map<String, Object> extra = LlamaFactoryArgs.parseOverrides(overrides);
        TrainingYaml.checkModelFolder(extra.containsKey("model_name_or_path")
                ? extra.get("model_name_or_path") : yaml.get("model_name_or_path"));
        TrainingProgress progress = new TrainingProgress(out, cli.terminal);
        FineTuner.Builder tuner = FineTuner.builder()
                .configure(c -> {
                    LlamaFactoryArgs.apply(yaml, c, config.toString());
                    LlamaFactoryArgs.apply(extra, c, "command line");
                })
                .listener(progress);
        FineTuneConfig settings = tuner.config(); // settings errors before anything is loaded
        if (!skipInvalid) {
            checkDatasets(settings);
        }
        out.println("model " + settings.model().modelNameOrPath() + ", stage " + settings.method().stage().yamlName()
                + ", " + settings.method().finetuningType().yamlName() + ": encoding the data and loading the model...");
        out.flush();
        FineTuneResult result = tuner.train();
        progress.printSummary(result);
        return 0;
    }

    /** Reads every registry dataset of the run strictly: the first bad record is an error naming file and line. */
    static void checkDatasets(FineTuneConfig cfg) throws java.io.IOException {
        DataSettings d = cfg.data();
        if (d.tokenizedPath() != null) {
            return;
        }
        DatasetOptions strict = DatasetOptions.DEFAULTS.withPolicy(ValidationPolicy.STRICT)
                .withMaxSamples(d.maxSamples()).withSeed(cfg.training().seed());
        for (List<String> names : List.of(d.datasets(), d.evalDatasets())) {
            if (!names.isEmpty()) {
                try (Stream<Example> examples = DatasetRegistries.open(d.datasetDir(), names, strict).open()) {
                    examples.forEach(e -> { });
                }
            }
        }
    }
}
