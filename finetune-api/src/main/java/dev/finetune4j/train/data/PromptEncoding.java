package dev.finetune4j.train.data;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.config.Stage;
import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.DatasetSource;
import dev.finetune4j.data.EncodedExample;
import dev.finetune4j.data.Example;
import dev.finetune4j.data.KtoExample;
import dev.finetune4j.data.PreferenceExample;
import dev.finetune4j.encoding.DatasetEncoder;
import dev.finetune4j.encoding.EncodedDataset;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rows of stage {@code ppo}: prompts to generate from. Each example's prompt (a conversation without its final
 * answer, a preference pair's prompt, a KTO example's conversation without its answer) is encoded with the
 * template's generation prompt (the assistant header included) and, like LLaMA-Factory's unsupervised processor,
 * cut to {@code cutoff_len} tokens. Labels are all −100: PPO learns from its own samples.
 */
public final class PromptEncoding {
    private static final Logger LOG = LoggerFactory.getLogger(PromptEncoding.class);

    private PromptEncoding() {
    }

    public static EncodedDataset encode(DatasetSource source, DatasetEncoder encoder) throws IOException {
        List<EncodedExample> prompts = new ArrayList<>();
        int dropped = 0;
        int cutoff = encoder.config().cutoffLen();
        try (Stream<Example> s = source.open()) {
            Iterator<Example> it = s.iterator();
            while (it.hasNext()) {
                Conversation prompt = prompt(it.next());
                if (prompt == null) {
                    dropped++;
                    continue;
                }
                int[] ids = encoder.template().encodeGenerationPrompt(encoder.tokenizer(), prompt);
                ids = Arrays.copyOf(ids, Math.min(ids.length, cutoff));
                int[] labels = new int[ids.length];
                Arrays.fill(labels, EncodedExample.IGNORE_INDEX);
                prompts.add(new EncodedExample(ids, labels));
            }
        }
        if (dropped > 0) {
            LOG.warn("{}: dropped {} records without a prompt that ends with a user turn", source.description(),
                    dropped);
        }
        if (prompts.isEmpty()) {
            throw new FineTuneException(source.description() + ": no prompts for stage ppo (conversations ending with "
                    + "a user turn, or with a user turn and its answer)");
        }
        return new EncodedDataset(Stage.PPO, prompts, List.of(), List.of(), List.of(), dropped);
    }

    /** The conversation to answer, or null when the example has none. */
    static Conversation prompt(Example e) {
        Conversation c;
        if (e instanceof PreferenceExample p) {
            c = p.prompt();
        } else if (e instanceof KtoExample k) {
            c = withoutAnswer(k.conversation());
        } else if (e instanceof Conversation conv) {
            c = withoutAnswer(conv);
        } else {
            return null;
        }
        if (c == null || c.messages().isEmpty() || c.messages().size() % 2 == 0 || c.validateTurns() != null) {
            return null;
        }
        return c;
    }

    private static Conversation withoutAnswer(Conversation c) {
        if (!c.endsWithModelTurn()) {
            return c;
        }
        return new Conversation(c.system(), c.tools(), c.messages().subList(0, c.messages().size() - 1));
    }
}
