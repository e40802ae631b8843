package dev.finetune4j.cli;

import dev.finetune4j.FineTuneResult;
import dev.finetune4j.FineTuner;
import dev.finetune4j.chat.ChatModel;
import dev.finetune4j.config.SchedulerType;
import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.Example;
import dev.finetune4j.data.Message;
import dev.finetune4j.data.Role;
import dev.finetune4j.datasets.Datasets;
import dev.finetune4j.io.AtomicFiles;
import dev.finetune4j.model.ModelConfig;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code finetune quickstart}: the offline demo of the README. Writes a tiny model whose tokenizer learned the
 * customer-service examples, fine-tunes it with LoRA on them (progress bar, adapter, loss plot), then asks one of the
 * trained questions and prints the streamed answer next to the trained one.
 */
@Command(name = "quickstart", mixinStandardHelpOptions = true,
        description = {"The offline demo: LoRA-fine-tune a tiny model on 12 examples, then ask it a trained question.",
            "Writes a tiny model, trains it (progress, adapter, loss plot) and prints the answer; no download,",
            "about 15 seconds on two cores. Outputs go to --out; then try chat, export and train."})
final class QuickstartCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.ParentCommand
    FinetuneCli cli;

    @Option(names = "--out", defaultValue = "quickstart-output", paramLabel = "DIR",
            description = "Where the data copy, model/ and adapter/ go. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(names = "--epochs", defaultValue = "30", paramLabel = "N",
            description = "Training epochs (30 learns every answer). Default: ${DEFAULT-VALUE}.")
    int epochs;

    @Override
    public Integer call() throws Exception {
        if (epochs < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--epochs must be >= 1");
        }
        PrintWriter w = spec.commandLine().getOut();
        w.println("finetune4j quickstart: LoRA fine-tuning of a tiny model on customer-service examples, offline");

        Files.createDirectories(out);
        Path data = out.resolve(QuickstartModel.DATA_FILE_NAME);
        String text = QuickstartModel.customerServiceText();
        AtomicFiles.writeString(data, text);
        List<Conversation> examples;
        try (Stream<Example> s = Datasets.siliconFlow(data).open()) {
            examples = s.map(Conversation.class::cast).toList();
        }
        w.printf("[1/4] data: %s (%d conversations, SiliconFlow JSONL)%n", data, examples.size());

        Path model = out.resolve("model");
        ModelConfig c = QuickstartModel.write(model, text);
        w.printf("[2/4] model: %s (%s, %d layers, hidden %d, vocab %d; random weights, tokenizer learned from the"
                + " data)%n", model, c.modelType(), c.numHiddenLayers(), c.hiddenSize(), c.vocabSize());

        Path adapter = out.resolve("adapter");
        w.printf("[3/4] LoRA fine-tune: rank 16, alpha 32, learning rate 5e-3 (constant), %d epochs, batch 4%n", epochs);
        w.flush();
        TrainingProgress progress = new TrainingProgress(w, cli.terminal);
        FineTuneResult result = FineTuner.builder()
                .model(model)
                .dataset(Datasets.siliconFlow(data))
                .template("qwen")
                .lora(16, 32, 0.0)
                .learningRate(5e-3).epochs(epochs).batchSize(4)
                .scheduler(SchedulerType.CONSTANT)
                .cutoffLen(256)
                .seed(42)
                .loggingSteps(5)
                .outputDir(adapter)
                .overwriteOutputDir(true)
                .listener(progress)
                .train();
        progress.printSummary(result);

        Conversation asked = examples.get(0);
        String question = asked.messages().get(0).content();
        String expected = asked.messages().stream().filter(m -> m.role() == Role.ASSISTANT).findFirst()
                .map(Message::content).orElse("");
        w.println("[4/4] ask the tuned model a trained question (greedy decoding)");
        w.println("user> " + question);
        w.print("assistant> ");
        w.flush();
        String answer;
        try (ChatModel chat = ChatModel.load(model, adapter, "qwen")) {
            answer = chat.reply(Conversation.of(asked.system(), List.of(Message.user(question))), chat.greedy(120),
                    piece -> {
                        w.print(piece);
                        w.flush();
                    });
        }
        w.println();
        w.println("trained answer:");
        w.println(expected);
        w.println(answer.equals(expected)
                ? "=> the tuned model gives the trained answer, word for word."
                : "=> the answer differs from the trained one" + (epochs < 30 ? " (train longer: --epochs 30)." : "."));
        w.println();
        w.println("Next:");
        w.println("  ./finetune chat --model " + model + " --adapter " + adapter + " --template qwen");
        w.println("  ./finetune export --model " + model + " --adapter " + adapter + " --out " + out.resolve("merged"));
        w.println("  ./finetune train examples/tiny_lora_sft.yaml");
        w.flush();
        return 0;
    }
}
