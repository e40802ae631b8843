package dev.finetune4j.cli;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.model.ModelConfig;
import dev.finetune4j.train.memory.MemoryEstimate;
import dev.finetune4j.train.memory.MemoryEstimator;
import dev.finetune4j.train.memory.TuningMethod;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code finetune estimate}: the memory a fine-tuning run needs, per method, computed from a model's config.json with
 * {@link MemoryEstimator} (this engine's fp32 buffers), printed beside LLaMA-Factory's rule of thumb (FORMATS.md §H.1).
 */
@Command(name = "estimate", mixinStandardHelpOptions = true,
        description = "Memory needed to fine-tune a model, per method (weights, gradients, optimizer, activations),"
                + " from its config.json, beside LLaMA-Factory's rule of thumb.")
final class EstimateCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "A HuggingFace model folder (only its config.json is read).")
    Path model;

    @Option(names = "--method", paramLabel = "METHOD",
            description = "lora, qlora-4, qlora-8, freeze or full. Default: all of them.")
    String method;

    @Option(names = "--batch", defaultValue = "1", paramLabel = "B",
            description = "Examples per micro-batch (per_device_train_batch_size). Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--cutoff", defaultValue = "1024", paramLabel = "L",
            description = "Tokens per example (cutoff_len; the estimate assumes every example is this long)."
                    + " Default: ${DEFAULT-VALUE}.")
    int cutoff;

    @Option(names = "--rank", defaultValue = "8", paramLabel = "R", description = "LoRA rank. Default: ${DEFAULT-VALUE}.")
    int rank;

    @Option(names = "--activation-checkpointing",
            description = "Estimate with activation (gradient) checkpointing: each layer recomputed in backward.")
    boolean checkpointing;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(model.resolve("config.json"))) {
            throw new FineTuneException("model folder " + model + " has no config.json");
        }
        if (batch < 1 || cutoff < 1 || rank < 1) {
            throw new FineTuneException("--batch, --cutoff and --rank must be at least 1");
        }
        List<TuningMethod> methods;
        try {
            methods = method == null ? List.of(TuningMethod.values()) : List.of(TuningMethod.parse(method));
        } catch (IllegalArgumentException e) {
            throw new FineTuneException("--method: " + e.getMessage());
        }
        ModelConfig config = ModelConfig.read(model);
        MemoryEstimator.Options options = MemoryEstimator.Options.of(batch, cutoff).withLoraRank(rank)
                .withActivationCheckpointing(checkpointing);
        PrintWriter out = spec.commandLine().getOut();
        MemoryEstimate any = MemoryEstimator.estimate(config, TuningMethod.FULL, options);
        out.printf(Locale.ROOT, "model %s: %s, %s parameters; batch %d × cutoff %d%s, LoRA rank %d%n", model,
                config.describe(), count(any.totalParameters()), batch, cutoff,
                checkpointing ? ", activation checkpointing" : "", rank);
        out.printf(Locale.ROOT, "%-8s %10s %9s %9s %9s %11s %11s %9s %9s   %s%n", "method", "trainable", "weights",
                "grads", "AdamW", "activations", "temporaries", "runtime", "total", "LLaMA-Factory rule of thumb");
        for (TuningMethod m : methods) {
            MemoryEstimate e = MemoryEstimator.estimate(config, m, options);
            out.printf(Locale.ROOT, "%-8s %10s %9s %9s %9s %11s %11s %9s %9s   %s%n", m.label(),
                    count(e.trainableParameters()), gb(e.weights()), gb(e.gradients()), gb(e.optimizer()),
                    gb(e.activations()), gb(e.temporaries()), gb(e.runtime()), gb(e.total()),
                    gb(MemoryEstimator.ruleOfThumb(m, any.totalParameters())) + " (" + rule(m) + ")");
        }
        out.println("This engine trains in fp32 on the CPU (a 16-bit GPU run needs about half the weight and"
                + " activation memory); LLaMA-Factory's figures are GPU memory in 16-bit, x = billions of parameters.");
        out.flush();
        return 0;
    }

    private static String rule(TuningMethod m) {
        return switch (m) {
            case FULL -> "full AMP: 18x";
            case FREEZE -> "freeze: 2x";
            case LORA -> "LoRA: 2x";
            case QLORA_8 -> "QLoRA 8-bit: x";
            case QLORA_4 -> "QLoRA 4-bit: x/2";
        };
    }

    static String gb(long bytes) {
        return bytes >= 1e9 ? String.format(Locale.ROOT, "%.2f GB", bytes / 1e9)
                : String.format(Locale.ROOT, "%.0f MB", bytes / 1e6);
    }

    static String count(long n) {
        return n >= 1e9 ? String.format(Locale.ROOT, "%.2fB", n / 1e9)
                : n >= 1e6 ? String.format(Locale.ROOT, "%.1fM", n / 1e6)
                : n >= 1e3 ? String.format(Locale.ROOT, "%.1fK", n / 1e3) : Long.toString(n);
    }
}
