package dev.finetune4j.encoding;

import static dev.finetune4j.encoding.EncodingFixtures.EFFICIENT;
import static dev.finetune4j.encoding.EncodingFixtures.SIMPLE;
import static dev.finetune4j.encoding.EncodingFixtures.TOK;
import static dev.finetune4j.encoding.EncodingFixtures.cat;
import static dev.finetune4j.encoding.EncodingFixtures.ids;
import static dev.finetune4j.encoding.EncodingFixtures.masked;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.EncodedExample;
import dev.finetune4j.data.Message;
import dev.finetune4j.template.ChatTemplate;
import dev.finetune4j.template.ChatTemplates;
import dev.finetune4j.tokenizer.TestTokenizers;
import dev.finetune4j.tokenizer.Tokenizer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which positions carry labels in SFT, exactly as LLaMA-Factory's supervised processor (FORMATS.md §C.2). */
class SupervisedEncodingTest {
    static final Conversation ONE = Conversation.of(List.of(Message.user("ab"), Message.assistant("xy")));
    static final Conversation TWO = Conversation.of(List.of(Message.user("ab"), Message.assistant("xy"),
            Message.user("c"), Message.assistant("z")));

    static EncodedExample encode(ChatTemplate t, Conversation c, EncodingConfig.Builder b) {
        return new DefaultDatasetEncoder(TOK, t, b.build()).encodeSupervised(c).orElseThrow();
    }

    static EncodingConfig.Builder cfg() {
        return EncodingConfig.builder();
    }

    @Test
    void singleTurnTrainsTheAnswerAndItsEos() {
        EncodedExample e = encode(SIMPLE, ONE, cfg());
        assertArrayEquals(ids("U" + "ab>xyE"), e.inputIds());
        assertArrayEquals(cat(masked(4), ids("xyE")), e.labels());
    }

    @Test
    void multiTurnTrainsEveryAnswer() {
        EncodedExample e = encode(SIMPLE, TWO, cfg());
        assertArrayEquals(ids("Uab>xyEUc>zE"), e.inputIds());
        assertArrayEquals(cat(masked(4), ids("xyE"), masked(3), ids("zE")), e.labels());
    }

    @Test
    void systemPromptIsPartOfTheFirstPrompt() {
        EncodedExample e = encode(SIMPLE, Conversation.of("sys", ONE.messages()), cfg());
        assertArrayEquals(ids("Ssys|Uab>xyE"), e.inputIds());
        assertArrayEquals(cat(masked(9), ids("xyE")), e.labels());
    }

    @Test
    void trainOnPromptLabelsEverything() {
        EncodedExample e = encode(SIMPLE, TWO, cfg().trainOnPrompt(true));
        assertArrayEquals(e.inputIds(), e.labels());
        assertThrows(FineTuneException.class, () -> encode(EFFICIENT, TWO, cfg().trainOnPrompt(true)));
    }

    @Test
    void maskHistoryTrainsOnlyTheLastAnswer() {
        EncodedExample e = encode(SIMPLE, TWO, cfg().maskHistory(true));
        assertArrayEquals(ids("Uab>xyEUc>zE"), e.inputIds());
        assertArrayEquals(cat(masked(7), masked(3), ids("zE")), e.labels());
    }

    @Test
    void efficientEosPutsEosAtTheEndAndAsFirstLabelOfLaterPrompts() {
        EncodedExample e = encode(EFFICIENT, TWO, cfg());
        assertArrayEquals(ids("Uab>xyUc>zE"), e.inputIds());
        assertArrayEquals(cat(masked(4), ids("xy"), ids("E"), masked(2), ids("zE")), e.labels());
    }

    @Test
    void truncationCutsBothSidesProportionally() {
        // S=4, T=3, cutoff 6: max target = int(6 * 3 / 7) = 2, source keeps 4
        EncodedExample e = encode(SIMPLE, ONE, cfg().cutoffLen(6));
        assertArrayEquals(ids("Uab>xy"), e.inputIds());
        assertArrayEquals(cat(masked(4), ids("xy")), e.labels());
    }

    @Test
    void truncationIsTurnByTurnAndDropsWhatDoesNotFit() {
        // turn 1 fits whole (7); turn 2 gets 2 tokens: infer_seqlen(3, 2, 2) = (2, 0)
        EncodedExample e = encode(SIMPLE, TWO, cfg().cutoffLen(9));
        assertArrayEquals(ids("Uab>xyEUc"), e.inputIds());
        assertArrayEquals(cat(masked(4), ids("xyE"), masked(2)), e.labels());
        // a cutoff reached exactly after turn 1 drops turn 2 entirely
        EncodedExample f = encode(SIMPLE, TWO, cfg().cutoffLen(7));
        assertArrayEquals(ids("Uab>xyE"), f.inputIds());
    }

    @Test
    void maskHistoryGivesTheLastTurnTheBudgetFirst() {
        // last turn (3, 2) fits; the first gets 4 tokens: infer_seqlen(4, 3, 4) = (3, 1)
        EncodedExample e = encode(SIMPLE, TWO, cfg().cutoffLen(9).maskHistory(true));
        assertArrayEquals(ids("UabxUc>zE"), e.inputIds());
        assertArrayEquals(cat(masked(4), masked(3), ids("zE")), e.labels());
    }

    @Test
    void longTargetsAreCutAtTheirEnd() {
        String answer = "y".repeat(50);
        Conversation c = Conversation.of(List.of(Message.user("ab"), Message.assistant(answer)));
        EncodedExample e = encode(SIMPLE, c, cfg().cutoffLen(20));
        // S=4, T=51: 2*S < 20, so the target gets 20 - 4 = 16
        assertEquals(20, e.length());
        assertArrayEquals(cat(masked(4), ids("y".repeat(16))), e.labels());
    }

    @Test
    void invalidConversationsAreDropped() {
        DefaultDatasetEncoder enc = new DefaultDatasetEncoder(TOK, SIMPLE, cfg().build());
        assertTrue(enc.encodeSupervised(Conversation.of(List.of(Message.user("a")))).isEmpty());
        assertTrue(enc.encodeSupervised(Conversation.of(List.of(Message.assistant("a"), Message.user("b")))).isEmpty());
    }

    @Test
    void qwen3LabelsWithTheRealTokenizer() {
        Tokenizer tok = TestTokenizers.qwen3();
        ChatTemplate qwen3 = ChatTemplates.get("qwen3");
        EncodedExample e = new DefaultDatasetEncoder(tok, qwen3, cfg().build()).encodeSupervised(
                Conversation.of("S", List.of(Message.user("Hi"), Message.assistant("Hello!")))).orElseThrow();
        int[] prompt = tok.encode("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                + "<|im_start|>assistant\n");
        int[] answer = cat(tok.encode("<think>\n\n</think>\n\n"), tok.encode("Hello!<|im_end|>\n"));
        assertArrayEquals(cat(prompt, answer), e.inputIds());
        assertArrayEquals(cat(masked(prompt.length), answer), e.labels());
        // the trained end: <|im_end|> and the newline after it
        int n = e.length();
        assertEquals(tok.tokenId("<|im_end|>").getAsInt(), e.labels()[n - 2]);
        assertEquals(tok.encode("\n")[0], e.labels()[n - 1]);
    }
}
