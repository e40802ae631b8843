package dev.finetune4j.encoding;

import dev.finetune4j.data.EncodedExample;
import dev.finetune4j.template.Formatter;
import dev.finetune4j.template.Slot;
import dev.finetune4j.template.SlotTemplate;
import dev.finetune4j.tokenizer.CharTokenizer;
import java.util.stream.IntStream;

/** A tiny template and character tokenizer whose token positions are easy to count in tests. */
final class EncodingFixtures {
    static final CharTokenizer TOK = CharTokenizer.of("<s>", "</s>");
    static final int E = TOK.eosId().getAsInt();
    static final int B = TOK.bosId().getAsInt();
    static final int X = EncodedExample.IGNORE_INDEX;

    /** user "U{c}>", assistant "{c}" + EOS, system "S{c}|". */
    static final SlotTemplate SIMPLE = SlotTemplate.builder("simple")
            .user(Formatter.of("U{{content}}>"))
            .system(Formatter.of("S{{content}}|"))
            .build();
    /** Like SIMPLE but with efficient_eos (no EOS after answers; one at the very end). */
    static final SlotTemplate EFFICIENT = SlotTemplate.builder("simple-eff")
            .user(Formatter.of("U{{content}}>"))
            .efficientEos(true)
            .build();

    private EncodingFixtures() {
    }

    /** Ids of a string: each character is its code point; "E" stands for EOS and "B" for BOS. */
    static int[] ids(String s) {
        return s.chars().map(c -> c == 'E' ? E : c == 'B' ? B : c).toArray();
    }

    static int[] masked(int n) {
        return IntStream.range(0, n).map(i -> X).toArray();
    }

    static int[] cat(int[]... parts) {
        return java.util.Arrays.stream(parts).flatMapToInt(java.util.Arrays::stream).toArray();
    }
}
