package dev.finetune4j.cli;

import dev.finetune4j.adapter.Adapters;
import dev.finetune4j.device.DeviceSpec;
import dev.finetune4j.device.Devices;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code finetune export}: merges a LoRA adapter into its base model and writes a plain HuggingFace checkpoint
 * (in the base's dtype, config and tokenizer files copied) that any runtime loads without PEFT.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Merge a LoRA adapter into its base model: a HuggingFace checkpoint folder in the base's dtype.",
            "The folder --out must not hold weights yet."},
        footer = {"", "Example:", "  finetune export --model quickstart-output/model --adapter quickstart-output/adapter"
                + " --out quickstart-output/merged"})
final class ExportCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "The base model folder.")
    Path model;

    @Option(names = "--adapter", required = true, paramLabel = "DIR", description = "The PEFT adapter folder to merge.")
    Path adapter;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where the merged checkpoint goes.")
    Path out;

    @Override
    public Integer call() throws Exception {
        PrintWriter w = spec.commandLine().getOut();
        String type = Adapters.peftType(adapter); // names the folder when it is not an adapter
        Devices.activate(DeviceSpec.AUTO);
        long start = System.nanoTime();
        Adapters.exportMerged(model, adapter, out);
        w.printf(java.util.Locale.ROOT, "merged %s adapter %s into %s in %.1f s%n", type, adapter, model,
                (System.nanoTime() - start) / 1e9);
        w.println("wrote " + out + ": " + TrainingProgress.describeFiles(out));
        w.flush();
        return 0;
    }
}
