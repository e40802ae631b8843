package dev.finetune4j.train.stages;

import dev.finetune4j.adapter.Adapter;
import dev.finetune4j.adapter.Adapters;
import dev.finetune4j.config.Stage;
import dev.finetune4j.data.Batch;
import dev.finetune4j.data.DatasetOptions;
import dev.finetune4j.data.DatasetRegistries;
import dev.finetune4j.encoding.DatasetEncoder;
import dev.finetune4j.encoding.EncodedKto;
import dev.finetune4j.encoding.EncodedPair;
import dev.finetune4j.encoding.Encoders;
import dev.finetune4j.encoding.EncodingConfig;
import dev.finetune4j.model.CausalLM;
import dev.finetune4j.model.ModelConfig;
import dev.finetune4j.model.tiny.TinyModelWriter;
import dev.finetune4j.template.ChatTemplates;
import dev.finetune4j.testing.SharedFixtures;
import dev.finetune4j.tokenizer.Tokenizer;
import dev.finetune4j.tokenizer.Tokenizers;
import dev.finetune4j.train.loss.SequenceLogProbs;
import dev.finetune4j.train.recipes.SequenceLogProbPass;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The tiny model and the LLaMA-Factory demo data of the preference-stage tests, and the reward accuracy on the
 * training pairs measured outside the trainer (so a trainer cannot grade itself).
 */
final class PreferenceFixtures {
    static final int CUTOFF = 96;

    private PreferenceFixtures() {
    }

    /** {@code shared/data/llamafactory} (dataset_info.json with dpo_en_demo, kto_en_demo). */
    static Path datasetDir() {
        return SharedFixtures.require("data/llamafactory/dataset_info.json").getParent();
    }

    /** The quickstart's tiny qwen2 (hidden 128, 2 layers, vocab 768; tokenizer learned from customer-service). */
    static Path writeModel(Path dir) throws IOException {
        ModelConfig arch = ModelConfig.builder("qwen2").hidden(128).layers(2).heads(4).kvHeads(2).intermediate(256)
                .vocab(768).build();
        String corpus = Files.readString(SharedFixtures.require("data/customer-service.jsonl"));
        TinyModelWriter.of(arch).seed(1).std(0.2).tokenizerCorpus(corpus).write(dir);
        return dir;
    }

    /** The first {@code n} pairs of dpo_en_demo, encoded as the trainer encodes them (template qwen, CUTOFF). */
    static List<EncodedPair> pairs(Path model, int n) throws IOException {
        try (Tokenizer tok = Tokenizers.load(model)) {
            DatasetEncoder enc = Encoders.create(tok, ChatTemplates.get("qwen"),
                    EncodingConfig.builder().stage(Stage.DPO).cutoffLen(CUTOFF).build());
            return enc.encode(DatasetRegistries.open(datasetDir(), List.of("dpo_en_demo"),
                    DatasetOptions.DEFAULTS.withMaxSamples(n))).pairs();
        }
    }

    /**
     * The fraction of pairs whose implicit reward is higher for the chosen answer, as the losses define it: the
     * label log-prob sum ({@code averages} false) or average (true), minus the base model's when
     * {@code reference} (DPO, IPO, hinge; ORPO and SimPO have none). {@code adapterDir} null measures the untrained
     * model (with a reference every reward is then 0 and no pair counts).
     */
    static double accuracy(Path model, Path adapterDir, List<EncodedPair> pairs, boolean averages, boolean reference)
            throws IOException {
        try (CausalLM m = CausalLM.load(model); Tokenizer tok = Tokenizers.load(model)) {
            Adapter adapter = null;
            if (adapterDir != null) {
                adapter = Adapters.load(adapterDir, false, 0);
                adapter.apply(m);
            }
            DatasetEncoder enc = Encoders.create(tok, ChatTemplates.get("qwen"),
                    EncodingConfig.builder().stage(Stage.DPO).cutoffLen(CUTOFF).build());
            int correct = 0;
            for (EncodedPair p : pairs) {
                Batch b = enc.collatePairs(List.of(p));
                SequenceLogProbs policy = SequenceLogProbPass.logProbs(m, b);
                double[] ref = {0, 0};
                if (reference && adapter != null) {
                    adapter.setEnabled(false);
                    ref = SequenceLogProbPass.sums(m, b);
                    adapter.setEnabled(true);
                } else if (reference) {
                    ref = policy.sums();
                }
                double c = policy.sum(0) - ref[0];
                double r = policy.sum(1) - ref[1];
                if (averages) {
                    c /= policy.tokenCount(0);
                    r /= policy.tokenCount(1);
                }
                if (c > r) {
                    correct++;
                }
            }
            return (double) correct / pairs.size();
        }
    }

    /** The first {@code n} examples of kto_en_demo, encoded as the trainer encodes them. */
    static List<EncodedKto> ktoExamples(Path model, int n) throws IOException {
        try (Tokenizer tok = Tokenizers.load(model)) {
            DatasetEncoder enc = Encoders.create(tok, ChatTemplates.get("qwen"),
                    EncodingConfig.builder().stage(Stage.KTO).cutoffLen(CUTOFF).build());
            return enc.encode(DatasetRegistries.open(datasetDir(), List.of("kto_en_demo"),
                    DatasetOptions.DEFAULTS.withMaxSamples(n))).kto();
        }
    }

    /**
     * KTO's reward accuracy: the fraction of examples whose implicit reward (label log-prob sum minus the base
     * model's) has the sign of its tag, above 0 for a desirable answer and below for an undesirable one. The untrained
     * model scores 0 (every reward is 0).
     */
    static double ktoAccuracy(Path model, Path adapterDir, List<EncodedKto> examples) throws IOException {
        try (CausalLM m = CausalLM.load(model); Tokenizer tok = Tokenizers.load(model)) {
            if (adapterDir == null) {
                return 0;
            }
            Adapter adapter = Adapters.load(adapterDir, false, 0);
            adapter.apply(m);
            DatasetEncoder enc = Encoders.create(tok, ChatTemplates.get("qwen"),
                    EncodingConfig.builder().stage(Stage.KTO).cutoffLen(CUTOFF).build());
            int correct = 0;
            for (EncodedKto e : examples) {
                Batch b = enc.collate(List.of(e.example()));
                double policy = SequenceLogProbPass.sums(m, b)[0];
                adapter.setEnabled(false);
                double ref = SequenceLogProbPass.sums(m, b)[0];
                adapter.setEnabled(true);
                if (e.desirable() ? policy > ref : policy < ref) {
                    correct++;
                }
            }
            return (double) correct / examples.size();
        }
    }
}
