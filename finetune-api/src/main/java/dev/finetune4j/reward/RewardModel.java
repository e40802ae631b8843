package dev.finetune4j.reward;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.adapter.Adapter;
import dev.finetune4j.adapter.Adapters;
import dev.finetune4j.data.Batch;
import dev.finetune4j.data.Conversation;
import dev.finetune4j.model.CausalLM;
import dev.finetune4j.model.layers.Tensors;
import dev.finetune4j.nn.ArrayPool;
import dev.finetune4j.template.ChatTemplate;
import dev.finetune4j.template.ChatTemplates;
import dev.finetune4j.template.EncodedTurn;
import dev.finetune4j.tokenizer.Tokenizer;
import dev.finetune4j.tokenizer.Tokenizers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A trained reward model (stage {@code rm}): the base model, the reward adapter (or a fully fine-tuned model
 * folder) and its {@link ValueHead}; scores an answer in its conversation.
 *
 * <pre>{@code
 * try (RewardModel rm = RewardModel.load(Path.of("models/Qwen2.5-0.5B"), Path.of("saves/rm"), "qwen")) {
 *     double s = rm.score(Conversation.of(null, List.of(Message.user("Hi"), Message.assistant("Hello!"))));
 * }
 * }</pre>
 *
 * The score of a sequence is the value head at its last token, as in training; a conversation is encoded as the
 * pairwise stages encode a prompt and its answer (without truncation).
 */
public final class RewardModel implements AutoCloseable {
    private final CausalLM model;
    private final ValueHead head;
    private final Tokenizer tokenizer;
    private final ChatTemplate template;

    private RewardModel(CausalLM model, ValueHead head, Tokenizer tokenizer, ChatTemplate template) {
        this.model = model;
        this.head = head;
        this.tokenizer = tokenizer;
        this.template = template;
    }

    /**
     * Loads a reward model folder written by stage {@code rm}: a PEFT adapter over {@code modelDir}, or a full model
     * folder (then {@code modelDir} only supplies the tokenizer), with {@code value_head.safetensors}.
     *
     * @param template the chat template the reward model was trained with (LLaMA-Factory's name)
     */
    public static RewardModel load(Path modelDir, Path rewardDir, String template) throws IOException {
        return load(modelDir, rewardDir, ChatTemplates.get(template));
    }

    /** {@link #load(Path, Path, String)} with a template object. */
    public static RewardModel load(Path modelDir, Path rewardDir, ChatTemplate template) throws IOException {
        if (!Files.isRegularFile(rewardDir.resolve(ValueHead.FILE_NAME))) {
            throw new FineTuneException("reward_model " + rewardDir + " has no " + ValueHead.FILE_NAME
                    + ": it is not a reward model folder (train one with stage: rm)");
        }
        boolean adapter = Files.isRegularFile(rewardDir.resolve(Adapters.CONFIG_FILE));
        CausalLM model = CausalLM.load(adapter ? modelDir : rewardDir);
        if (adapter) {
            Adapter a = Adapters.load(rewardDir, false, 0);
            a.apply(model);
        }
        ValueHead head = ValueHead.load(rewardDir, model.config().hiddenSize(), model.dataType(), false);
        return new RewardModel(model, head, Tokenizers.load(modelDir), template);
    }

    /** The score of the conversation's last message (an assistant answer) given the messages before it. */
    public double score(Conversation conversation) {
        if (!conversation.endsWithModelTurn()) {
            throw new IllegalArgumentException("a reward model scores an answer: the conversation must end with an "
                    + "assistant message");
        }
        EncodedTurn t = template.encodeOneTurn(tokenizer, conversation);
        int[] ids = Arrays.copyOf(t.prompt(), t.prompt().length + t.answer().length);
        System.arraycopy(t.answer(), 0, ids, t.prompt().length, t.answer().length);
        return score(ids);
    }

    /** The score of a token sequence (the value head at its last token). */
    public double score(int[] ids) {
        return scores(List.of(ids))[0];
    }

    /** Scores of several token sequences, run as one right-padded batch. */
    public double[] scores(List<int[]> sequences) {
        return scores(model, head, rightPadded(sequences));
    }

    /** The value head at each row's last non-padding token (right padding), without gradient. */
    public static double[] scores(CausalLM model, ValueHead head, Batch batch) {
        try (ArrayPool.Activation a = model.pool().activate()) {
            INDArray h = model.forward(batch, false);
            INDArray atLast = Nd4j.pullRows(h, 1, lastTokenRows(batch));
            INDArray v = head.forward(atLast, false);
            double[] out = v.toDoubleVector();
            Tensors.close(h, v);
            return out;
        }
    }

    /**
     * Row index into the flattened {@code [batch·seq, hidden]} hidden states of each row's last non-padding token:
     * {@code b·seq + (number of non-zero mask entries) − 1}, as LLaMA-Factory's {@code attention_mask.sum() − 1}
     * (right padding).
     */
    public static int[] lastTokenRows(Batch batch) {
        int seq = batch.seqLen();
        int[] mask = batch.attentionMask().dup('c').data().asInt();
        int[] out = new int[batch.batchSize()];
        for (int b = 0; b < out.length; b++) {
            int n = 0;
            for (int t = 0; t < seq; t++) {
                if (mask[b * seq + t] != 0) {
                    n++;
                }
            }
            if (n == 0) {
                throw new IllegalArgumentException("row " + b + " of the batch is all padding");
            }
            out[b] = b * seq + n - 1;
        }
        return out;
    }

    /** Sequences as a right-padded batch (pad id 0, mask 0 on padding, labels −100). */
    public static Batch rightPadded(List<int[]> sequences) {
        int seq = sequences.stream().mapToInt(s -> s.length).max().orElseThrow();
        int n = sequences.size();
        int[] ids = new int[n * seq];
        int[] labels = new int[n * seq];
        int[] mask = new int[n * seq];
        int[] pos = new int[n * seq];
        Arrays.fill(labels, -100);
        for (int b = 0; b < n; b++) {
            int[] s = sequences.get(b);
            for (int t = 0; t < s.length; t++) {
                ids[b * seq + t] = s[t];
                mask[b * seq + t] = 1;
                pos[b * seq + t] = t;
            }
        }
        return new Batch(Nd4j.createFromArray(ids).reshape(n, seq), Nd4j.createFromArray(labels).reshape(n, seq),
                Nd4j.createFromArray(mask).reshape(n, seq), Nd4j.createFromArray(pos).reshape(n, seq));
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

    @Override
    public void close() {
        model.close();
        tokenizer.close();
    }
}
