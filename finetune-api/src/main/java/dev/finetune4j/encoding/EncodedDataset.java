package dev.finetune4j.encoding;

import dev.finetune4j.config.Stage;
import dev.finetune4j.data.EncodedExample;
import java.util.List;
import java.util.Objects;

/**
 * A whole dataset after encoding for one stage. Exactly one list is used, by stage: {@code examples} for
 * sft/pt without packing and for pt with packing (fixed {@code cutoff_len} blocks), {@code packed} for sft with
 * packing, {@code pairs} for rm/dpo, {@code kto} for kto.
 *
 * @param dropped records that were skipped (invalid shape, or longer than cutoff_len when packing), logged
 */
public record EncodedDataset(Stage stage, List<EncodedExample> examples, List<PackedSequence> packed,
        List<EncodedPair> pairs, List<EncodedKto> kto, int dropped) {
    public EncodedDataset {
        Objects.requireNonNull(stage, "stage");
        examples = List.copyOf(examples);
        packed = List.copyOf(packed);
        pairs = List.copyOf(pairs);
        kto = List.copyOf(kto);
    }

    /** Number of rows the trainer iterates over. */
    public int size() {
        return examples.size() + packed.size() + pairs.size() + kto.size();
    }
}
