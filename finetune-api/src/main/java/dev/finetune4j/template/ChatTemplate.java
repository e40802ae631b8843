package dev.finetune4j.template;

import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.Message;
import dev.finetune4j.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * A chat template: turns a {@link Conversation} into token ids, split into prompt/answer pairs so that
 * encoding can put labels on the answers only. Built-in ones are found by LLaMA-Factory's names with
 * {@link ChatTemplates#get(String)}; a user's own is any implementation of this interface (register it with
 * {@link ChatTemplates#register(ChatTemplate)} or a {@link ChatTemplateProvider} service).
 *
 * <p>Implementations are immutable and thread-safe; the tokenizer is passed to each call.
 */
public interface ChatTemplate {

    /** The name it is found by, e.g. {@code qwen3}. */
    String name();

    /**
     * Encodes a conversation whose messages alternate prompt side / model side and end with a model-side
     * turn: one {@link EncodedTurn} per model turn. {@code discardHistoryThinking} (LLaMA-Factory's
     * {@code mask_history} on reasoning templates) drops chain of thought from all but the last answer.
     */
    List<EncodedTurn> encodeTurns(Tokenizer tokenizer, Conversation conversation, boolean discardHistoryThinking);

    default List<EncodedTurn> encodeTurns(Tokenizer tokenizer, Conversation conversation) {
        return encodeTurns(tokenizer, conversation, false);
    }

    /**
     * The conversation as one prompt (everything before the last model turn) and one answer (the last model
     * turn): what pairwise, KTO and generation use (LLaMA-Factory {@code encode_oneturn}).
     */
    default EncodedTurn encodeOneTurn(Tokenizer tokenizer, Conversation conversation) {
        List<EncodedTurn> turns = encodeTurns(tokenizer, conversation, false);
        int n = 0;
        for (int i = 0; i < turns.size(); i++) {
            n += turns.get(i).promptLength() + (i < turns.size() - 1 ? turns.get(i).answerLength() : 0);
        }
        int[] prompt = new int[n];
        int p = 0;
        for (int i = 0; i < turns.size(); i++) {
            int[] a = turns.get(i).prompt();
            System.arraycopy(a, 0, prompt, p, a.length);
            p += a.length;
            if (i < turns.size() - 1) {
                int[] b = turns.get(i).answer();
                System.arraycopy(b, 0, prompt, p, b.length);
                p += b.length;
            }
        }
        return new EncodedTurn(prompt, turns.get(turns.size() - 1).answer());
    }

    /**
     * The prompt ids for generating the next answer of a conversation that ends with a prompt-side turn
     * (user or observation), ending with whatever opens the assistant's turn.
     */
    default int[] encodeGenerationPrompt(Tokenizer tokenizer, Conversation conversation) {
        List<Message> messages = new ArrayList<>(conversation.messages());
        messages.add(Message.assistant(""));
        return encodeOneTurn(tokenizer, new Conversation(conversation.system(), conversation.tools(), messages))
                .prompt();
    }

    /**
     * LLaMA-Factory {@code efficient_eos}: answers carry no end token; one EOS ends the whole sequence (and
     * is trained), and later prompts get EOS as their first label.
     */
    default boolean efficientEos() {
        return false;
    }

    /**
     * The EOS id training and generation use with this template: the first stop word when the template
     * replaces EOS (LLaMA-Factory {@code replace_eos}), else the tokenizer's EOS.
     */
    default OptionalInt eosId(Tokenizer tokenizer) {
        return tokenizer.eosId();
    }

    /** Ids that end generation: EOS and the template's stop words. */
    default List<Integer> stopIds(Tokenizer tokenizer) {
        List<Integer> ids = new ArrayList<>();
        eosId(tokenizer).ifPresent(ids::add);
        return ids;
    }

    /** A copy with other options; templates without such options return themselves. */
    default ChatTemplate withOptions(TemplateOptions options) {
        return this;
    }
}
