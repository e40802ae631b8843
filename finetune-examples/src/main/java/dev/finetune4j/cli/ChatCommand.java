package dev.finetune4j.cli;

import dev.finetune4j.chat.ChatModel;
import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.Message;
import dev.finetune4j.model.generate.GenerationConfig;
import dev.finetune4j.model.generate.SamplingConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code finetune chat}: talk to a model (and adapter) line by line, answers streamed as they are generated, the
 * conversation kept until {@code /clear}.
 *
 * <p>Decoding: the model's {@code generation_config.json} (what HuggingFace's {@code generate} and LLaMA-Factory's
 * chat start from; greedy when the folder has none), changed by the flags: any of {@code --temperature},
 * {@code --top-p}, {@code --top-k} turns sampling on, {@code --greedy} or {@code --temperature 0} turns it off.
 */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = {"Chat with a model (and a LoRA adapter): type a message, the answer streams back.",
            "Commands: /clear starts a new conversation, /exit (or end of input) quits; empty lines are ignored.",
            "Decoding follows the model's generation_config.json (greedy without one); flags change it."},
        footer = {"", "Example:",
            "  finetune chat --model quickstart-output/model --adapter quickstart-output/adapter --template qwen"})
final class ChatCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.ParentCommand
    FinetuneCli cli;

    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "A HuggingFace model folder (config.json, safetensors, tokenizer files).")
    Path model;

    @Option(names = "--adapter", paramLabel = "DIR", description = "A PEFT LoRA adapter folder (a train output).")
    Path adapter;

    @Option(names = "--template", paramLabel = "NAME",
            description = "Chat template (qwen, llama3, chatml, ...); default: the model's own chat_template.")
    String template;

    @Option(names = "--system", paramLabel = "TEXT",
            description = "System prompt; default: the template's default system prompt.")
    String system;

    @Option(names = "--max-new-tokens", defaultValue = "512", paramLabel = "N",
            description = "Longest answer in tokens. Default: ${DEFAULT-VALUE}.")
    int maxNewTokens;

    @Option(names = "--greedy", description = "Always pick the most likely token (no sampling).")
    boolean greedy;

    @Option(names = "--temperature", paramLabel = "T", description = "Sampling temperature; 0 = greedy.")
    Double temperature;

    @Option(names = "--top-p", paramLabel = "P", description = "Nucleus sampling: keep the most likely tokens up to P.")
    Double topP;

    @Option(names = "--top-k", paramLabel = "K", description = "Sample among the K most likely tokens (0 = all).")
    Integer topK;

    @Option(names = "--repetition-penalty", paramLabel = "R", description = "HuggingFace repetition penalty (1 = none).")
    Double repetitionPenalty;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "N",
            description = "Seed of the sampling (answer i uses seed + i). Default: ${DEFAULT-VALUE}.")
    long seed;

    @Override
    public Integer call() throws Exception {
        if (maxNewTokens < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max-new-tokens must be >= 1");
        }
        PrintWriter out = spec.commandLine().getOut();
        BufferedReader in = new BufferedReader(new InputStreamReader(cli.stdin, StandardCharsets.UTF_8));
        try (ChatModel chat = ChatModel.load(model, adapter, template)) {
            GenerationConfig base = generation(chat);
            out.println("chat with " + model + (adapter == null ? "" : " + adapter " + adapter) + " (" + describe(base)
                    + "); /clear starts over, /exit quits");
            List<Message> history = new ArrayList<>();
            int turn = 0;
            while (true) {
                out.print("user> ");
                out.flush();
                String line = in.readLine();
                if (line == null) {
                    out.println();
                    break;
                }
                if (!cli.terminal) {
                    out.println(line); // piped input: echo it so the transcript reads like a session
                }
                String text = line.strip();
                if (text.isEmpty()) {
                    continue;
                }
                if (text.equals("/exit") || text.equals("/quit")) {
                    break;
                }
                if (text.equals("/clear")) {
                    history.clear();
                    out.println("(conversation cleared)");
                    continue;
                }
                history.add(Message.user(line));
                GenerationConfig g = base.withSampling(base.sampling().withSeed(seed + turn++));
                out.print("assistant> ");
                out.flush();
                String answer = chat.reply(Conversation.of(system, history), g, piece -> {
                    out.print(piece);
                    out.flush();
                });
                out.println();
                out.flush();
                history.add(Message.assistant(answer));
            }
        }
        out.flush();
        return 0;
    }

    private GenerationConfig generation(ChatModel chat) throws java.io.IOException {
        GenerationConfig g = chat.generationConfig(maxNewTokens);
        SamplingConfig s = g.sampling();
        boolean sample = s.doSample();
        double t = s.temperature();
        if (temperature != null) {
            if (temperature < 0) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--temperature must be >= 0");
            }
            if (temperature == 0) {
                sample = false;
            } else {
                t = temperature;
                sample = true;
            }
        }
        if (topP != null || topK != null) {
            sample = temperature == null || temperature > 0;
        }
        if (greedy) {
            sample = false;
        }
        try {
            s = new SamplingConfig(sample, t, topK != null ? topK : s.topK(), topP != null ? topP : s.topP(),
                    repetitionPenalty != null ? repetitionPenalty : s.repetitionPenalty(), seed);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        return g.withSampling(s);
    }

    private static String describe(GenerationConfig g) {
        SamplingConfig s = g.sampling();
        String how = s.doSample()
                ? String.format(Locale.ROOT, "sampling: temperature %s, top_p %s, top_k %d", s.temperature(), s.topP(),
                        s.topK())
                : "greedy";
        if (s.repetitionPenalty() != 1.0) {
            how += ", repetition_penalty " + s.repetitionPenalty();
        }
        return how + ", at most " + g.maxNewTokens() + " new tokens";
    }
}
