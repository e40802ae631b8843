package dev.finetune4j.chat;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.adapter.Adapter;
import dev.finetune4j.adapter.Adapters;
import dev.finetune4j.data.Conversation;
import dev.finetune4j.device.DeviceSpec;
import dev.finetune4j.device.Devices;
import dev.finetune4j.model.CausalLM;
import dev.finetune4j.model.ModelOptions;
import dev.finetune4j.model.generate.GenerationConfig;
import dev.finetune4j.model.generate.GenerationResult;
import dev.finetune4j.model.generate.Generator;
import dev.finetune4j.model.generate.SamplingConfig;
import dev.finetune4j.template.ChatTemplate;
import dev.finetune4j.template.ChatTemplates;
import dev.finetune4j.tokenizer.Tokenizer;
import dev.finetune4j.tokenizer.Tokenizers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A model (optionally with a PEFT adapter) ready to answer conversations: what {@code finetune chat} and the
 * quickstart use.
 *
 * <pre>{@code
 * try (ChatModel chat = ChatModel.load(Path.of("models/Qwen2.5-0.5B-Instruct"), Path.of("out/cs"), "qwen")) {
 *     String answer = chat.reply(Conversation.of(List.of(Message.user("How do I change my address?"))),
 *             chat.greedy(256), System.out::print);
 * }
 * }</pre>
 */
public final class ChatModel implements AutoCloseable {
    private final CausalLM model;
    private final Tokenizer tokenizer;
    private final ChatTemplate template;
    private final Adapter adapter;
    private final Path modelDir;

    private ChatModel(CausalLM model, Tokenizer tokenizer, ChatTemplate template, Adapter adapter, Path modelDir) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.template = template;
        this.adapter = adapter;
        this.modelDir = modelDir;
    }

    /**
     * Loads {@code modelDir}, applies the adapter in {@code adapterDir} (or none), and picks the template by name;
     * a null name uses the model's own {@code chat_template} ({@code jinja}) when it has one.
     */
    public static ChatModel load(Path modelDir, Path adapterDir, String templateName) throws IOException {
        if (!Files.isRegularFile(modelDir.resolve("config.json"))) {
            throw new FineTuneException("model folder " + modelDir + " has no config.json: point --model at a "
                    + "HuggingFace checkpoint folder");
        }
        Devices.activate(DeviceSpec.AUTO);
        Tokenizer tokenizer = Tokenizers.load(modelDir);
        try {
            ChatTemplate template;
            if (templateName != null) {
                template = ChatTemplates.get(templateName);
            } else if (tokenizer.chatTemplate().isPresent()) {
                template = ChatTemplates.get("jinja");
            } else {
                throw new FineTuneException(modelDir + " has no chat_template: choose one with --template "
                        + "(e.g. qwen, llama3, chatml)");
            }
            CausalLM model = CausalLM.load(modelDir, ModelOptions.defaults());
            Adapter adapter = null;
            if (adapterDir != null) {
                adapter = Adapters.load(adapterDir, false, 0);
                adapter.apply(model);
            }
            return new ChatModel(model, tokenizer, template, adapter, modelDir);
        } catch (IOException | RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    public CausalLM model() {
        return model;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public ChatTemplate template() {
        return template;
    }

    /** The applied adapter, or null. */
    public Adapter adapter() {
        return adapter;
    }

    /** Greedy decoding of at most {@code maxNewTokens}, stopping at the model's and the template's end tokens. */
    public GenerationConfig greedy(int maxNewTokens) throws IOException {
        return generationConfig(maxNewTokens).withSampling(SamplingConfig.greedy());
    }

    /** The model's {@code generation_config.json} defaults with the template's stop tokens. */
    public GenerationConfig generationConfig(int maxNewTokens) throws IOException {
        Set<Integer> stops = new HashSet<>(template.stopIds(tokenizer));
        return GenerationConfig.fromModelDir(modelDir, maxNewTokens, Set.copyOf(model.config().eosTokenIds()))
                .withStopTokenIds(stops);
    }

    /**
     * Generates the assistant's answer to {@code conversation} (which ends with a user or observation turn),
     * streaming text to {@code onText} as it is decoded (may be null), and returns the whole answer.
     */
    public String reply(Conversation conversation, GenerationConfig config, Consumer<String> onText) {
        int[] prompt = template.encodeGenerationPrompt(tokenizer, conversation);
        TextStream stream = new TextStream(tokenizer, onText, config);
        GenerationResult r = new Generator(model).generate(prompt, config, stream::accept);
        return tokenizer.decode(r.contentTokens(), true);
    }

    @Override
    public void close() {
        model.close();
        tokenizer.close();
    }

    /** Turns token ids into text as they come, holding back an incomplete multi-byte character. */
    private static final class TextStream {
        private final Tokenizer tokenizer;
        private final Consumer<String> out;
        private final Set<Integer> stops = new HashSet<>();
        private final java.util.List<Integer> ids = new java.util.ArrayList<>();
        private int emitted;

        TextStream(Tokenizer tokenizer, Consumer<String> out, GenerationConfig config) {
            this.tokenizer = tokenizer;
            this.out = out;
            stops.addAll(config.eosTokenIds());
            stops.addAll(config.stopTokenIds());
        }

        void accept(int id) {
            if (out == null || stops.contains(id)) {
                return;
            }
            ids.add(id);
            String text = tokenizer.decode(ids.stream().mapToInt(Integer::intValue).toArray(), true);
            if (text.endsWith("\uFFFD")) {
                return; // the rest of a multi-byte character is still to come
            }
            if (text.length() > emitted) {
                out.accept(text.substring(emitted));
                emitted = text.length();
            }
        }
    }
}
