package dev.finetune4j.cli;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.config.Stage;
import dev.finetune4j.datasets.Dataset;
import dev.finetune4j.datasets.DatasetFormat;
import dev.finetune4j.datasets.Datasets;
import dev.finetune4j.encoding.DatasetEncoder;
import dev.finetune4j.encoding.EncodedDataset;
import dev.finetune4j.encoding.Encoders;
import dev.finetune4j.encoding.EncodingConfig;
import dev.finetune4j.encoding.TokenizedJsonl;
import dev.finetune4j.tokenizer.Tokenizer;
import dev.finetune4j.tokenizer.Tokenizers;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code finetune preprocess}: encodes a dataset with a model's tokenizer and a chat template and writes one
 * JSON object per example, {@code {"input_ids": [...], "labels": [...]}} (labels -100 where there is no loss),
 * the file {@code train tokenized_path:} and {@code ppl --tokenized-path} read.
 */
@Command(name = "preprocess", mixinStandardHelpOptions = true,
        description = {"Tokenize a dataset with a chat template: one {\"input_ids\", \"labels\"} JSON object per line."},
        footer = {"", "Example:", "  finetune preprocess --model models/Qwen2.5-0.5B-Instruct --template qwen"
                + " --dataset data/cs.jsonl --out cs.tokens.jsonl"})
final class PreprocessCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model folder with tokenizer.json.")
    Path model;

    @Option(names = "--template", required = true, paramLabel = "NAME", description = "Chat template, e.g. qwen, llama3.")
    String template;

    @Option(names = "--dataset", required = true, paramLabel = "FILE", description = "The dataset file.")
    Path dataset;

    @Option(names = "--format", paramLabel = "FORMAT",
            description = "alpaca, sharegpt, siliconflow or text; guessed from the first record when left out.")
    String format;

    @Option(names = "--stage", defaultValue = "sft", paramLabel = "STAGE",
            description = "sft (labels on answers) or pt (labels on all text). Default: ${DEFAULT-VALUE}.")
    String stage;

    @Option(names = "--cutoff-len", defaultValue = "2048", paramLabel = "N",
            description = "Truncate each example to N tokens. Default: ${DEFAULT-VALUE}.")
    int cutoffLen;

    @Option(names = "--out", required = true, paramLabel = "FILE.jsonl", description = "Where to write the examples.")
    Path out;

    @Override
    public Integer call() throws Exception {
        Stage s = Stage.parse(stage);
        if (s != Stage.SFT && s != Stage.PT) {
            throw new FineTuneException("preprocess writes sft or pt examples; stage " + s.yamlName()
                    + " needs pairs, which one input_ids/labels line cannot hold");
        }
        Dataset d = format == null ? Datasets.of(dataset) : Datasets.of(dataset, DatasetFormat.parse(format));
        EncodedDataset data = encode(model, template, d, s, cutoffLen);
        if (data.examples().isEmpty()) {
            throw new FineTuneException(dataset + ": no example could be encoded for stage " + s.yamlName()
                    + " (" + data.dropped() + " dropped; run finetune validate)");
        }
        int n = TokenizedJsonl.write(out, data.examples());
        spec.commandLine().getOut().println("wrote " + n + " examples to " + out
                + (data.dropped() > 0 ? " (" + data.dropped() + " records dropped, see the warnings)" : ""));
        spec.commandLine().getOut().flush();
        return 0;
    }

    /** Encodes without packing: one row per record (what preprocess and ppl --dataset need). */
    static EncodedDataset encode(Path model, String template, Dataset d, Stage stage, int cutoffLen)
            throws java.io.IOException {
        try (Tokenizer tok = Tokenizers.load(model)) {
            DatasetEncoder enc = Encoders.create(tok, template,
                    EncodingConfig.builder().stage(stage).cutoffLen(cutoffLen).packing(false).build());
            return enc.encode(d);
        }
    }
}
