package dev.finetune4j.encoding;

import dev.finetune4j.config.Stage;
import static dev.finetune4j.encoding.EncodingFixtures.B;
import static dev.finetune4j.encoding.EncodingFixtures.E;
import static dev.finetune4j.encoding.EncodingFixtures.SIMPLE;
import static dev.finetune4j.encoding.EncodingFixtures.TOK;
import static dev.finetune4j.encoding.EncodingFixtures.cat;
import static dev.finetune4j.encoding.EncodingFixtures.ids;
import static dev.finetune4j.encoding.EncodingFixtures.masked;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.DatasetSource;
import dev.finetune4j.data.EncodedExample;
import dev.finetune4j.data.Example;
import dev.finetune4j.data.KtoExample;
import dev.finetune4j.data.Message;
import dev.finetune4j.data.PreferenceExample;
import dev.finetune4j.data.TextDocument;
import dev.finetune4j.template.ChatTemplates;
import dev.finetune4j.tokenizer.CharTokenizer;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Pre-training, pairwise and KTO encoding (FORMATS.md §A.10, §C.2). */
class OtherStagesEncodingTest {
    static final CharTokenizer BOS_TOK = new CharTokenizer(List.of(), "<s>", "</s>", null, true);

    @Test
    void pretrainingPacksTextsIntoBlocksWithBosOverwrite() {
        DefaultDatasetEncoder enc = new DefaultDatasetEncoder(BOS_TOK, SIMPLE,
                EncodingConfig.builder().stage(Stage.PT).cutoffLen(3).build());
        List<EncodedExample> blocks = enc.encodePretraining(List.of(new TextDocument("abc"), new TextDocument("de")));
        // a b c E d e E -> [a b c] [E d e], tail [E] dropped; BOS overwrites each block's first id
        assertEquals(2, blocks.size());
        assertArrayEquals(ids("Bbc"), blocks.get(0).inputIds());
        assertArrayEquals(ids("Bde"), blocks.get(1).inputIds());
        assertArrayEquals(blocks.get(1).inputIds(), blocks.get(1).labels());
    }

    @Test
    void pretrainingWithoutPackingTruncatesEachText() {
        DefaultDatasetEncoder enc = new DefaultDatasetEncoder(BOS_TOK, SIMPLE,
                EncodingConfig.builder().stage(Stage.PT).cutoffLen(4).packing(false).build());
        List<EncodedExample> out = enc.encodePretraining(List.of(new TextDocument("abcdef"), new TextDocument("x")));
        assertArrayEquals(ids("Babc"), out.get(0).inputIds());
        assertArrayEquals(ids("BxE"), out.get(1).inputIds());
        // without add_bos_token no BOS
        DefaultDatasetEncoder plain = new DefaultDatasetEncoder(TOK, SIMPLE,
                EncodingConfig.builder().stage(Stage.PT).cutoffLen(4).packing(false).build());
        assertArrayEquals(ids("xE"), plain.encodePretraining(List.of(new TextDocument("x"))).get(0).inputIds());
    }

    @Test
    void pretrainingEosFollowsTheTemplate() {
        CharTokenizer tok = CharTokenizer.of("<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "<|eom_id|>",
                "<|im_end|>", "<|endoftext|>");
        EncodingConfig pt = EncodingConfig.builder().stage(Stage.PT).packing(false).build();
        int[] llama3 = new DefaultDatasetEncoder(tok, ChatTemplates.get("llama3"), pt)
                .encodePretraining(List.of(new TextDocument("a"))).get(0).inputIds();
        assertEquals(tok.tokenId("<|end_of_text|>").getAsInt(), llama3[1]); // not the replaced <|eot_id|>
        int[] qwen = new DefaultDatasetEncoder(tok, ChatTemplates.get("qwen"), pt)
                .encodePretraining(List.of(new TextDocument("a"))).get(0).inputIds();
        assertEquals(tok.tokenId("<|im_end|>").getAsInt(), qwen[1]); // replace_eos
    }

    @Test
    void pairwiseSharesTheTruncatedPrompt() {
        DefaultDatasetEncoder enc = new DefaultDatasetEncoder(TOK, SIMPLE, EncodingConfig.builder()
                .stage(Stage.DPO).cutoffLen(7).build());
        PreferenceExample p = new PreferenceExample(Conversation.of(List.of(Message.user("ab"))),
                Message.assistant("xy"), Message.assistant("pqr"));
        EncodedPair pair = enc.encodePairwise(p).orElseThrow();
        // prompt 4, longest answer 4 (pqrE): infer_seqlen(4, 4, 7) = (4, 3)
        assertArrayEquals(ids("Uab>xyE"), pair.chosen().inputIds());
        assertArrayEquals(cat(masked(4), ids("xyE")), pair.chosen().labels());
        assertArrayEquals(ids("Uab>pqr"), pair.rejected().inputIds());
        assertArrayEquals(cat(masked(4), ids("pqr")), pair.rejected().labels());
        assertTrue(enc.encodePairwise(new PreferenceExample(Conversation.of(List.of(Message.user("a"),
                Message.assistant("b"))), Message.assistant("x"), Message.assistant("y"))).isEmpty());
    }

    @Test
    void ktoPairsEachPromptWithThePreviousAnswer() {
        DefaultDatasetEncoder enc = new DefaultDatasetEncoder(TOK, SIMPLE, EncodingConfig.builder()
                .stage(Stage.KTO).build());
        List<KtoExample> ks = List.of(
                new KtoExample(Conversation.of(List.of(Message.user("a"), Message.assistant("x"))), true),
                new KtoExample(Conversation.of(List.of(Message.user("b"), Message.assistant("y"))), false),
                new KtoExample(Conversation.of(List.of(Message.user("c"), Message.assistant("z"))), true));
        List<EncodedKto> out = enc.encodeKto(ks);
        assertEquals(3, out.size());
        assertArrayEquals(ids("Ua>xE"), out.get(0).example().inputIds());
        assertArrayEquals(ids("Ua>zE"), out.get(0).klExample().inputIds()); // cyclic: first gets the last answer
        assertArrayEquals(ids("Ub>xE"), out.get(1).klExample().inputIds());
        assertArrayEquals(cat(masked(3), ids("xE")), out.get(1).klExample().labels());
        assertTrue(out.get(0).desirable());
        assertFalse(out.get(1).desirable());
    }

    @Test
    void encodesAWholeSourceAndCountsDroppedRecords() throws Exception {
        DatasetSource src = new DatasetSource() {
            @Override
            public String description() {
                return "test";
            }

            @Override
            public Stream<Example> open() {
                return Stream.of(Conversation.of(List.of(Message.user("ab"), Message.assistant("xy"))),
                        Conversation.of(List.of(Message.user("only a question"))),
                        new TextDocument("not a conversation"),
                        Conversation.of(List.of(Message.user("c"), Message.assistant("z"))));
            }
        };
        EncodedDataset d = new DefaultDatasetEncoder(TOK, SIMPLE, EncodingConfig.builder().build()).encode(src);
        assertEquals(2, d.examples().size());
        assertEquals(2, d.dropped());
        assertArrayEquals(ids("Uc>zE"), d.examples().get(1).inputIds());
        assertEquals(B, BOS_TOK.bosId().getAsInt());
        assertEquals(E, TOK.eosId().getAsInt());
    }
}
