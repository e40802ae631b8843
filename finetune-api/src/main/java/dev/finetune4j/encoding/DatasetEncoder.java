package dev.finetune4j.encoding;

import dev.finetune4j.data.Batch;
import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.DatasetSource;
import dev.finetune4j.data.EncodedExample;
import dev.finetune4j.data.KtoExample;
import dev.finetune4j.data.PreferenceExample;
import dev.finetune4j.data.TextDocument;
import dev.finetune4j.template.ChatTemplate;
import dev.finetune4j.tokenizer.Tokenizer;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Turns examples into token ids and labels for a stage, exactly as LLaMA-Factory's dataset processors do,
 * and collates them into {@link Batch}es. Get one with {@link Encoders#create}. Thread-safe.
 */
public interface DatasetEncoder {

    Tokenizer tokenizer();

    ChatTemplate template();

    EncodingConfig config();

    /**
     * Reads {@code source} and encodes every example for the configured stage (packing included); records of
     * the wrong kind or shape are dropped with a warning and counted.
     */
    EncodedDataset encode(DatasetSource source) throws IOException;

    /** SFT: labels on the answers (and their end tokens); empty when the conversation is not trainable. */
    Optional<EncodedExample> encodeSupervised(Conversation conversation);

    /**
     * PT for one preprocessing chunk: text + EOS; with packing concatenated and cut into {@code cutoff_len}
     * blocks (the tail is dropped), else each text truncated to {@code cutoff_len}. Labels equal the ids.
     */
    List<EncodedExample> encodePretraining(List<TextDocument> documents);

    /** RM/DPO: chosen and rejected sharing the truncated prompt; empty when the example is not valid. */
    Optional<EncodedPair> encodePairwise(PreferenceExample example);

    /** KTO for one preprocessing chunk: each example with its KL example (the previous example's answer). */
    List<EncodedKto> encodeKto(List<KtoExample> examples);

    /**
     * Greedy largest-fit-first packing into rows of at most {@code cutoff_len} tokens, padded to
     * {@code cutoff_len + 1}; examples longer than {@code cutoff_len} are dropped.
     */
    List<PackedSequence> pack(List<EncodedExample> examples);

    /** Pads to the longest row (rounded up to {@code pad_to_multiple_of}): pad id, labels -100, mask 0. */
    Batch collate(List<EncodedExample> rows);

    /** One batch row per packed sequence (segment ids as attention mask, restarting position ids). */
    Batch collatePacked(List<PackedSequence> rows);

    /** The chosen rows first, then the rejected rows, as LLaMA-Factory's pairwise collator. */
    Batch collatePairs(List<EncodedPair> rows);
}
