package dev.finetune4j.cli;

import dev.finetune4j.model.ModelConfig;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code finetune tiny-model}: writes the quickstart's tiny model folder (random weights, a tokenizer learned from a
 * text), for trying {@code train}, {@code chat} and {@code export} without downloading a model.
 */
@Command(name = "tiny-model", mixinStandardHelpOptions = true,
        description = {"Write a tiny random qwen2 model folder (what the quickstart trains), to try the commands"
                + " offline.", "Its byte-level BPE tokenizer learns its merges from --corpus."},
        footer = {"", "Example:", "  finetune tiny-model --out quickstart-output/model"})
final class TinyModelCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "The model folder to write.")
    Path out;

    @Option(names = "--corpus", paramLabel = "FILE",
            description = "Text the tokenizer learns from; default: the bundled customer-service examples.")
    Path corpus;

    @Override
    public Integer call() throws Exception {
        String text = corpus == null ? QuickstartModel.customerServiceText() : Files.readString(corpus);
        ModelConfig c = QuickstartModel.write(out, text);
        PrintWriter w = spec.commandLine().getOut();
        w.printf("wrote %s: %s model, %d layers, hidden %d, vocab %d (random weights)%n", out, c.modelType(),
                c.numHiddenLayers(), c.hiddenSize(), c.vocabSize());
        w.println("  " + TrainingProgress.describeFiles(out));
        w.flush();
        return 0;
    }
}
