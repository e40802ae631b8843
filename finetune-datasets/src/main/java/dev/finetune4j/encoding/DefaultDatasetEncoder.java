package dev.finetune4j.encoding;

import dev.finetune4j.config.Stage;
import dev.finetune4j.FineTuneException;
import dev.finetune4j.data.Batch;
import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.DatasetSource;
import dev.finetune4j.data.EncodedExample;
import dev.finetune4j.data.Example;
import dev.finetune4j.data.KtoExample;
import dev.finetune4j.data.Message;
import dev.finetune4j.data.PreferenceExample;
import dev.finetune4j.data.TextDocument;
import dev.finetune4j.template.ChatTemplate;
import dev.finetune4j.template.EncodedTurn;
import dev.finetune4j.tokenizer.Tokenizer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LLaMA-Factory's dataset processors in Java: supervised ({@code _encode_data_example} with {@code cutoff_len},
 * {@code train_on_prompt}, {@code mask_history}, {@code efficient_eos}), packed supervised, pretraining, pairwise
 * and feedback (KTO). See FORMATS.md §C.2 and §A.10.
 */
public final class DefaultDatasetEncoder implements DatasetEncoder {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultDatasetEncoder.class);
    private static final int IGNORE = EncodedExample.IGNORE_INDEX;

    private final Tokenizer tokenizer;
    private final ChatTemplate template;
    private final EncodingConfig config;
    private final Batcher batcher;

    public DefaultDatasetEncoder(Tokenizer tokenizer, ChatTemplate template, EncodingConfig config) {
        this.tokenizer = tokenizer;
        this.template = template.withOptions(config.templateOptions());
        this.config = config;
        if (config.trainOnPrompt() && this.template.efficientEos()) {
            throw new FineTuneException("template " + template.name() + " does not support train_on_prompt "
                    + "(it uses efficient_eos)");
        }
        template.eosId(tokenizer); // fails early, naming the token, when a replaced EOS is not in this tokenizer
        this.batcher = new Batcher(padId(), config.padToMultipleOf());
    }

    /** PAD id: the tokenizer's pad token, else the template's EOS (LLaMA-Factory sets pad = eos). */
    public int padId() {
        OptionalInt pad = tokenizer.padId();
        if (pad.isPresent()) {
            return pad.getAsInt();
        }
        return template.eosId(tokenizer).orElse(0);
    }

    private int eosId() {
        return template.eosId(tokenizer).orElseThrow(() -> new FineTuneException(
                "the tokenizer has no EOS token and template " + template.name() + " defines none"));
    }

    @Override
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public ChatTemplate template() {
        return template;
    }

    @Override
    public EncodingConfig config() {
        return config;
    }

    // ---- SFT ----

    @Override
    public Optional<EncodedExample> encodeSupervised(Conversation c) {
        if (c.messages().isEmpty() || c.validateTurns() != null || !c.endsWithModelTurn()) {
            return Optional.empty();
        }
        boolean maskHistory = config.maskHistory();
        List<EncodedTurn> turns = template.encodeTurns(tokenizer, c, maskHistory);
        boolean eff = template.efficientEos();
        int cutoff = config.cutoffLen();
        int total = eff ? 1 : 0;
        List<int[][]> pieces = new ArrayList<>(turns.size()); // {src, srcLabel, tgt, tgtLabel} per processed turn
        for (int k = 0; k < turns.size(); k++) {
            if (total >= cutoff) {
                break;
            }
            EncodedTurn turn = turns.get(maskHistory ? turns.size() - 1 - k : k);
            int[] src = turn.prompt();
            int[] tgt = turn.answer();
            int[] lens = SequenceLengths.infer(src.length, tgt.length, cutoff - total);
            src = Arrays.copyOf(src, lens[0]);
            tgt = Arrays.copyOf(tgt, lens[1]);
            total += lens[0] + lens[1];
            int[] srcLabel;
            if (config.trainOnPrompt()) {
                srcLabel = src.clone();
            } else {
                srcLabel = new int[src.length];
                Arrays.fill(srcLabel, IGNORE);
                if (eff && k != 0 && src.length > 0) {
                    srcLabel[0] = eosId();
                }
            }
            int[] tgtLabel;
            if (maskHistory && k != 0) {
                tgtLabel = new int[tgt.length];
                Arrays.fill(tgtLabel, IGNORE);
            } else {
                tgtLabel = tgt.clone();
            }
            pieces.add(new int[][] {src, srcLabel, tgt, tgtLabel});
        }
        if (maskHistory) {
            java.util.Collections.reverse(pieces);
        }
        int n = 0;
        for (int[][] p : pieces) {
            n += p[0].length + p[2].length;
        }
        if (eff) {
            n++;
        }
        int[] ids = new int[n];
        int[] labels = new int[n];
        int pos = 0;
        for (int[][] p : pieces) {
            System.arraycopy(p[0], 0, ids, pos, p[0].length);
            System.arraycopy(p[1], 0, labels, pos, p[1].length);
            pos += p[0].length;
            System.arraycopy(p[2], 0, ids, pos, p[2].length);
            System.arraycopy(p[3], 0, labels, pos, p[3].length);
            pos += p[2].length;
        }
        if (eff) {
            ids[pos] = eosId();
            labels[pos] = eosId();
        }
        return Optional.of(new EncodedExample(ids, labels));
    }

    // ---- PT ----

    @Override
    public List<EncodedExample> encodePretraining(List<TextDocument> documents) {
        int eos = "llama3".equals(template.name()) && tokenizer.tokenId("<|end_of_text|>").isPresent()
                ? tokenizer.tokenId("<|end_of_text|>").getAsInt() : eosId();
        List<String> texts = new ArrayList<>(documents.size());
        documents.forEach(d -> texts.add(d.text()));
        List<int[]> encoded = tokenizer.encodeAll(texts);
        int cutoff = config.cutoffLen();
        boolean addBos = tokenizer.addBosToken() && tokenizer.bosId().isPresent();
        List<EncodedExample> out = new ArrayList<>();
        if (!config.packingEnabled()) {
            for (int[] ids : encoded) {
                int[] seq = new int[ids.length + 1 + (addBos ? 1 : 0)];
                int p = 0;
                if (addBos) {
                    seq[p++] = tokenizer.bosId().getAsInt();
                }
                System.arraycopy(ids, 0, seq, p, ids.length);
                seq[seq.length - 1] = eos;
                int[] cut = Arrays.copyOf(seq, Math.min(seq.length, cutoff));
                out.add(new EncodedExample(cut, cut));
            }
            return out;
        }
        int total = 0;
        for (int[] ids : encoded) {
            total += ids.length + 1;
        }
        int[] all = new int[total];
        int p = 0;
        for (int[] ids : encoded) {
            System.arraycopy(ids, 0, all, p, ids.length);
            p += ids.length;
            all[p++] = eos;
        }
        int usable = total / cutoff * cutoff;
        for (int i = 0; i < usable; i += cutoff) {
            int[] block = Arrays.copyOfRange(all, i, i + cutoff);
            if (addBos) {
                block[0] = tokenizer.bosId().getAsInt();
            }
            out.add(new EncodedExample(block, block));
        }
        return out;
    }

    // ---- pairwise ----

    private static Conversation withAnswer(Conversation prompt, Message answer) {
        List<Message> ms = new ArrayList<>(prompt.messages());
        ms.add(answer);
        return new Conversation(prompt.system(), prompt.tools(), ms);
    }

    private static boolean validPrompt(Conversation prompt) {
        return prompt.messages().size() % 2 == 1 && prompt.validateTurns() == null;
    }

    @Override
    public Optional<EncodedPair> encodePairwise(PreferenceExample ex) {
        if (!validPrompt(ex.prompt()) || !ex.chosen().role().isModelSide() || !ex.rejected().role().isModelSide()) {
            return Optional.empty();
        }
        EncodedTurn chosen = template.encodeOneTurn(tokenizer, withAnswer(ex.prompt(), ex.chosen()));
        EncodedTurn rejected = template.encodeOneTurn(tokenizer, withAnswer(ex.prompt(), ex.rejected()));
        int[] prompt = chosen.prompt();
        int[] c = chosen.answer();
        int[] r = rejected.answer();
        if (template.efficientEos()) {
            c = append(c, eosId());
            r = append(r, eosId());
        }
        int[] lens = SequenceLengths.infer(prompt.length, Math.max(c.length, r.length), config.cutoffLen());
        prompt = Arrays.copyOf(prompt, lens[0]);
        c = Arrays.copyOf(c, Math.min(c.length, lens[1]));
        r = Arrays.copyOf(r, Math.min(r.length, lens[1]));
        return Optional.of(new EncodedPair(promptAnswer(prompt, c), promptAnswer(prompt, r)));
    }

    private static int[] append(int[] a, int v) {
        int[] r = Arrays.copyOf(a, a.length + 1);
        r[a.length] = v;
        return r;
    }

    private static EncodedExample promptAnswer(int[] prompt, int[] answer) {
        int[] ids = new int[prompt.length + answer.length];
        int[] labels = new int[ids.length];
        System.arraycopy(prompt, 0, ids, 0, prompt.length);
        System.arraycopy(answer, 0, ids, prompt.length, answer.length);
        Arrays.fill(labels, 0, prompt.length, IGNORE);
        System.arraycopy(answer, 0, labels, prompt.length, answer.length);
        return new EncodedExample(ids, labels);
    }

    // ---- KTO ----

    private EncodedExample encodeOne(Conversation c) {
        EncodedTurn t = template.encodeOneTurn(tokenizer, c);
        int[] prompt = t.prompt();
        int[] answer = t.answer();
        if (template.efficientEos()) {
            answer = append(answer, eosId());
        }
        int[] lens = SequenceLengths.infer(prompt.length, answer.length, config.cutoffLen());
        return promptAnswer(Arrays.copyOf(prompt, lens[0]), Arrays.copyOf(answer, lens[1]));
    }

    @Override
    public List<EncodedKto> encodeKto(List<KtoExample> examples) {
        List<EncodedKto> out = new ArrayList<>(examples.size());
        int n = examples.size();
        for (int i = 0; i < n; i++) {
            Conversation c = examples.get(i).conversation();
            if (c.messages().isEmpty() || c.validateTurns() != null || !c.endsWithModelTurn()) {
                continue;
            }
            List<Message> prompt = c.messages().subList(0, c.messages().size() - 1);
            Conversation previous = examples.get((i - 1 + n) % n).conversation();
            if (previous.messages().isEmpty()) {
                continue;
            }
            Message klAnswer = previous.messages().get(previous.messages().size() - 1);
            List<Message> kl = new ArrayList<>(prompt);
            kl.add(klAnswer);
            EncodedExample main = encodeOne(c);
            EncodedExample klExample = encodeOne(new Conversation(c.system(), c.tools(), kl));
            out.add(new EncodedKto(main, klExample, examples.get(i).desirable()));
        }
        return out;
    }

    // ---- packing and batching ----

    @Override
    public List<PackedSequence> pack(List<EncodedExample> examples) {
        List<EncodedExample> fitting = new ArrayList<>(examples.size());
        for (EncodedExample e : examples) {
            if (e.length() > config.cutoffLen()) {
                LOG.warn("Dropped lengthy example with length {} > {}.", e.length(), config.cutoffLen());
            } else {
                fitting.add(e);
            }
        }
        return Packer.pack(fitting, config.cutoffLen(), config.neatPacking(), padId());
    }

    @Override
    public Batch collate(List<EncodedExample> rows) {
        return batcher.collate(rows);
    }

    @Override
    public Batch collatePacked(List<PackedSequence> rows) {
        return batcher.collatePacked(rows);
    }

    @Override
    public Batch collatePairs(List<EncodedPair> rows) {
        return batcher.collatePairs(rows);
    }

    // ---- whole datasets ----

    @Override
    public EncodedDataset encode(DatasetSource source) throws IOException {
        List<EncodedExample> examples = new ArrayList<>();
        List<PackedSequence> packed = new ArrayList<>();
        List<EncodedPair> pairs = new ArrayList<>();
        List<EncodedKto> kto = new ArrayList<>();
        int dropped = 0;
        Stage stage = config.stage();
        int chunkSize = config.preprocessingBatchSize();
        try (Stream<Example> stream = source.open()) {
            Iterator<Example> it = stream.iterator();
            List<Example> chunk = new ArrayList<>(chunkSize);
            while (it.hasNext()) {
                chunk.clear();
                while (it.hasNext() && chunk.size() < chunkSize) {
                    chunk.add(it.next());
                }
                int accepted = 0;
                switch (stage) {
                    case PT -> {
                        List<TextDocument> docs = new ArrayList<>();
                        for (Example e : chunk) {
                            if (e instanceof TextDocument d) {
                                docs.add(d);
                            } else if (e instanceof Conversation c && !c.messages().isEmpty()) {
                                docs.add(new TextDocument(c.messages().get(0).content()));
                            }
                        }
                        accepted = docs.size();
                        examples.addAll(encodePretraining(docs));
                    }
                    case SFT -> {
                        List<EncodedExample> encoded = new ArrayList<>();
                        for (Example e : chunk) {
                            Optional<EncodedExample> r = e instanceof Conversation c ? encodeSupervised(c) : Optional.empty();
                            r.ifPresent(encoded::add);
                        }
                        if (config.packingEnabled()) {
                            accepted = (int) encoded.stream().filter(x -> x.length() <= config.cutoffLen()).count();
                            packed.addAll(pack(encoded));
                        } else {
                            accepted = encoded.size();
                            examples.addAll(encoded);
                        }
                    }
                    case RM, DPO -> {
                        for (Example e : chunk) {
                            Optional<EncodedPair> r = e instanceof PreferenceExample p ? encodePairwise(p) : Optional.empty();
                            if (r.isPresent()) {
                                pairs.add(r.get());
                                accepted++;
                            }
                        }
                    }
                    case KTO -> {
                        List<KtoExample> ks = new ArrayList<>();
                        for (Example e : chunk) {
                            if (e instanceof KtoExample k) {
                                ks.add(k);
                            }
                        }
                        List<EncodedKto> r = encodeKto(ks);
                        accepted = r.size();
                        kto.addAll(r);
                    }
                    default -> throw new FineTuneException("stage " + stage.yamlName()
                            + " trains on prompts only; it has no dataset encoding of its own");
                }
                int bad = chunk.size() - accepted;
                if (bad > 0) {
                    LOG.warn("{}: dropped {} of {} records (not valid for stage {}, or too long to pack)",
                            source.description(), bad, chunk.size(), stage.yamlName());
                    dropped += bad;
                }
            }
        }
        if (examples.size() + packed.size() + pairs.size() + kto.size() == 0) {
            throw new FineTuneException(source.description() + ": no valid examples for stage " + stage.yamlName()
                    + " (check the format and the stage)");
        }
        return new EncodedDataset(stage, examples, packed, pairs, kto, dropped);
    }
}
