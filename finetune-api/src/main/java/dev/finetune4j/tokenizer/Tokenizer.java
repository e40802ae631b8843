package dev.finetune4j.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A model's tokenizer: text to token ids and back, plus the special tokens a chat template needs.
 *
 * <p>{@link #encode(String)} never adds special tokens of its own (HuggingFace {@code add_special_tokens=False})
 * and never truncates: BOS/EOS are the template's business. Special and added tokens written inside the text
 * (e.g. {@code <|im_start|>}) are recognised as single tokens. Load one from a model folder with
 * {@link Tokenizers#load(java.nio.file.Path)}. Implementations are thread-safe.
 */
public interface Tokenizer extends AutoCloseable {

    /** Token ids of {@code text}, no special tokens added, no truncation. */
    int[] encode(String text);

    /** {@link #encode(String)} for several texts at once (implementations may run them in parallel). */
    default List<int[]> encodeAll(List<String> texts) {
        List<int[]> out = new ArrayList<>(texts.size());
        for (String t : texts) {
            out.add(encode(t));
        }
        return out;
    }

    /**
     * Token ids of {@code text} with each token's character span in {@code text} (UTF-16 indices), for
     * mapping rendered text back to tokens (e.g. which tokens belong to an assistant turn).
     */
    TokenizedText encodeWithOffsets(String text);

    /** The text of {@code ids}; {@code skipSpecialTokens} drops special tokens such as {@code <|im_end|>}. */
    String decode(int[] ids, boolean skipSpecialTokens);

    /** The id of the token spelled exactly {@code token} (vocabulary or added token), if there is one. */
    OptionalInt tokenId(String token);

    /** The spelling of token {@code id} in the vocabulary, if the id exists. */
    Optional<String> token(int id);

    /** Number of ids (vocabulary plus added tokens: the largest id + 1, HuggingFace {@code len(tokenizer)}). */
    int vocabSize();

    /** BOS token from tokenizer_config.json / special_tokens_map.json, if the tokenizer has one. */
    Optional<String> bosToken();

    /** EOS token from tokenizer_config.json / special_tokens_map.json, if the tokenizer has one. */
    Optional<String> eosToken();

    /** PAD token from tokenizer_config.json / special_tokens_map.json, if the tokenizer has one. */
    Optional<String> padToken();

    default OptionalInt bosId() {
        return bosToken().map(this::tokenId).orElse(OptionalInt.empty());
    }

    default OptionalInt eosId() {
        return eosToken().map(this::tokenId).orElse(OptionalInt.empty());
    }

    default OptionalInt padId() {
        return padToken().map(this::tokenId).orElse(OptionalInt.empty());
    }

    /** True when the id is a special token (added token marked {@code special}). */
    boolean isSpecial(int id);

    /**
     * Whether the tokenizer's own config asks for a BOS at the start of a text ({@code add_bos_token} in
     * tokenizer_config.json); pre-training uses it to put BOS at the start of every block.
     */
    boolean addBosToken();

    /** The model's own Jinja chat template (tokenizer_config.json {@code chat_template} or chat_template.jinja). */
    Optional<String> chatTemplate();

    /** Frees native resources; the default does nothing. */
    @Override
    default void close() {
    }
}
