package dev.finetune4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune4j.FineTuneException;
import dev.finetune4j.adapter.Adapters;
import dev.finetune4j.config.Stage;
import dev.finetune4j.data.EncodedExample;
import dev.finetune4j.datasets.Dataset;
import dev.finetune4j.datasets.DatasetFormat;
import dev.finetune4j.datasets.Datasets;
import dev.finetune4j.device.DeviceSpec;
import dev.finetune4j.device.Devices;
import dev.finetune4j.encoding.TokenizedJsonl;
import dev.finetune4j.model.CausalLM;
import dev.finetune4j.model.ModelConfig;
import dev.finetune4j.model.eval.Perplexity;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code finetune ppl}: mean next-token negative log-likelihood and perplexity of a model over a dataset
 * (LLaMA-Factory's cal_ppl), printed as one JSON object: {@code mean_nll} (over label tokens, -100 ignored),
 * {@code perplexity} = exp(mean_nll), {@code tokens}, plus {@code examples} and {@code mean_example_perplexity}
 * (the per-example average LLaMA-Factory prints).
 */
@Command(name = "ppl", mixinStandardHelpOptions = true,
        description = "Perplexity of a model over a dataset (or a tokenized one), as one JSON object.")
final class PplCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "A HuggingFace model folder (config.json + safetensors).")
    Path model;

    @Option(names = "--adapter", paramLabel = "DIR", description = "A PEFT LoRA adapter folder applied to the model (a train output).")
    Path adapter;

    @Option(names = "--tokenized-path", paramLabel = "FILE.jsonl",
            description = "Pre-tokenized examples: {\"input_ids\": [...], \"labels\": [...]} per line (labels -100 = no loss;"
                    + " without labels every token counts).")
    Path tokenizedPath;

    @Option(names = "--dataset", paramLabel = "FILE", description = "A dataset file to encode with --template.")
    Path dataset;

    @Option(names = "--template", paramLabel = "NAME", description = "The chat template for --dataset.")
    String template;

    @Option(names = "--format", paramLabel = "FORMAT",
            description = "Format of --dataset: alpaca, sharegpt, siliconflow or text; guessed when left out.")
    String format;

    @Option(names = "--cutoff-len", defaultValue = "2048", paramLabel = "N",
            description = "Truncate each --dataset example to N tokens. Default: ${DEFAULT-VALUE}.")
    int cutoffLen;

    @Option(names = "--batch-size", defaultValue = "4", paramLabel = "N",
            description = "Examples per forward pass. Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Option(names = "--max-samples", paramLabel = "N", description = "Only the first N examples.")
    Integer maxSamples;

    @Option(names = "--device", defaultValue = "auto", paramLabel = "DEVICE",
            converter = EnvCommand.DeviceConverter.class, description = "auto, cpu, cuda or cuda:N. Default: ${DEFAULT-VALUE}.")
    DeviceSpec device;

    @Override
    public Integer call() throws Exception {
        if ((tokenizedPath == null) == (dataset == null)) {
            throw new FineTuneException("give either --tokenized-path FILE.jsonl or --dataset FILE --template NAME");
        }
        if (dataset != null && template == null) {
            throw new FineTuneException("--dataset needs --template NAME (the chat template of the model, e.g. qwen)");
        }
        if (batchSize < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--batch-size must be >= 1");
        }
        Devices.activate(device);
        Path source = tokenizedPath != null ? tokenizedPath : dataset;
        List<EncodedExample> examples;
        if (dataset != null) {
            Dataset d = format == null ? Datasets.of(dataset) : Datasets.of(dataset, DatasetFormat.parse(format));
            if (maxSamples != null) {
                d = d.maxSamples(maxSamples);
            }
            examples = PreprocessCommand.encode(model, template, d, Stage.SFT, cutoffLen).examples();
        } else {
            examples = TokenizedJsonl.read(tokenizedPath);
        }
        if (maxSamples != null && maxSamples < examples.size()) {
            examples = examples.subList(0, maxSamples);
        }
        if (examples.isEmpty()) {
            throw new FineTuneException(source + ": no examples");
        }
        Perplexity.Result r;
        try (CausalLM m = CausalLM.load(model)) {
            if (adapter != null) {
                Adapters.load(adapter, false, 0).apply(m);
            }
            ModelConfig c = m.config();
            int vocab = c.vocabSize();
            for (int i = 0; i < examples.size(); i++) {
                for (int id : examples.get(i).inputIds()) {
                    if (id < 0 || id >= vocab) {
                        throw new FineTuneException(source + ": example " + (i + 1) + ": token id " + id
                                + " is outside the model's vocabulary [0, " + vocab + ")");
                    }
                }
            }
            int pad = c.padTokenId() != null ? c.padTokenId() : c.eosTokenIds().isEmpty() ? 0 : c.eosTokenIds().get(0);
            r = Perplexity.evaluate(m, examples, batchSize, pad);
        }
        if (r.tokens() == 0) {
            throw new FineTuneException(source + ": no label tokens to score (every label is -100)");
        }
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.put("mean_nll", r.meanNll());
        o.put("perplexity", r.perplexity());
        o.put("tokens", r.tokens());
        o.put("examples", r.examples());
        o.put("mean_example_perplexity", r.meanExamplePerplexity());
        spec.commandLine().getOut().println(new ObjectMapper().writeValueAsString(o));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
