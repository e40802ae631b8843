package dev.finetune4j.train.recipes;

import dev.finetune4j.config.FineTuneConfig;
import dev.finetune4j.config.GeneratingSettings;
import dev.finetune4j.config.PreferenceSettings;
import dev.finetune4j.config.Stage;
import dev.finetune4j.data.Batch;
import dev.finetune4j.data.EncodedExample;
import dev.finetune4j.model.CausalLM;
import dev.finetune4j.model.generate.GenerationConfig;
import dev.finetune4j.model.generate.Generator;
import dev.finetune4j.model.generate.SamplingConfig;
import dev.finetune4j.model.layers.Tensors;
import dev.finetune4j.model.loss.CausalLmLoss;
import dev.finetune4j.nn.ArrayPool;
import dev.finetune4j.nn.Parameter;
import dev.finetune4j.reward.RewardModel;
import dev.finetune4j.reward.ValueHead;
import dev.finetune4j.train.Trainer;
import dev.finetune4j.train.TrainingRun;
import dev.finetune4j.train.loss.AdaptiveKlController;
import dev.finetune4j.train.loss.AdvantageEstimation;
import dev.finetune4j.train.loss.PpoObjective;
import dev.finetune4j.train.loss.RunningMoments;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The recipe of stage {@code ppo}: RLHF with a reward model, as LLaMA-Factory runs TRL 0.9.6's PPO. One step is
 * one rollout of {@code per_device_train_batch_size · gradient_accumulation_steps · ppo_buffer_size} prompts:
 * <ol>
 *   <li>sample a response to each prompt with the policy ({@code do_sample}, {@code temperature}, {@code top_p},
 *       {@code top_k}, {@code max_new_tokens}), stopping at the template's end-of-turn token;</li>
 *   <li>score prompt + response with the {@link RewardModel} ({@code reward_model}; with {@code ppo_score_norm},
 *       normalised by the scores' running mean and standard deviation);</li>
 *   <li>without gradient: the policy's log-probs and the critic's values (a {@link ValueHead} on the policy's
 *       hidden states) at the response tokens, and the {@link ReferenceModel}'s log-probs;</li>
 *   <li>per-token rewards (KL penalty against the reference with the adaptive coefficient, the score on the last
 *       token; {@code ppo_whiten_rewards}), advantages by GAE, whitened ({@link AdvantageEstimation});</li>
 *   <li>{@code ppo_epochs} passes over the rollout in shuffled mini-batches of {@code per_device_train_batch_size}:
 *       the clipped objective ({@link PpoObjective}) back through the LM head, the critic and the model, one
 *       optimizer update per {@code gradient_accumulation_steps} mini-batches;</li>
 *   <li>the KL coefficient moves toward {@code ppo_target} ({@link AdaptiveKlController}).</li>
 * </ol>
 * Logged: {@code loss} (mean PPO loss of the step's mini-batches), {@code reward} (mean raw score, as
 * LLaMA-Factory), {@code objective/kl}, {@code objective/kl_coef}, {@code ppo/loss/policy}, {@code ppo/loss/value},
 * {@code ppo/policy/clipfrac}, {@code tokens/responses_len_mean}.
 *
 * <p>Differences from LLaMA-Factory + TRL: the reward model is a separate model in memory (LLaMA-Factory's default
 * {@code reward_model_type: lora} swaps a second adapter into the policy); the rollout's log-probs and values are
 * computed without dropout; the critic head has no dropout; responses are generated one prompt at a time; a
 * partial rollout at the end of an epoch is used (TRL drops it); no resume.
 */
public final class PpoTrainer implements Trainer {
    private static final Logger LOG = LoggerFactory.getLogger(PpoTrainer.class);

    private final PpoObjective objective = PpoObjective.TRL_DEFAULTS;
    private ValueHead critic;
    private RewardModel rewardModel;
    private ReferenceModel reference;
    private AdaptiveKlController kl;
    private final RunningMoments scoreMoments = new RunningMoments();
    private long rollouts;

    /** One sampled response and what the rollout computed for its tokens. */
    private static final class Sample {
        final int[] query;
        final int[] response;
        double score;
        double[] logProbs;
        double[] refLogProbs;
        double[] values;
        double[] advantages;
        double[] returns;

        Sample(int[] query, int[] response) {
            this.query = query;
            this.response = response;
        }

        int[] sequence() {
            int[] s = java.util.Arrays.copyOf(query, query.length + response.length);
            System.arraycopy(response, 0, s, query.length, response.length);
            return s;
        }
    }

    @Override
    public Set<Stage> stages() {
        return Set.of(Stage.PPO);
    }

    /** The critic's value head: continued from {@code adapter_name_or_path} when it has one, else new. */
    @Override
    public List<Parameter> addedParameters(FineTuneConfig config, CausalLM model) throws IOException {
        int hidden = model.config().hiddenSize();
        Path adapter = config.model().adapterNameOrPath();
        critic = adapter != null && Files.isRegularFile(adapter.resolve(ValueHead.FILE_NAME))
                ? ValueHead.load(adapter, hidden, model.dataType(), true)
                : ValueHead.create(hidden, model.dataType(), config.training().seed());
        return critic.parameters();
    }

    @Override
    public void saveAddedWeights(Path dir) throws IOException {
        critic.save(dir);
    }

    private void prepare(TrainingRun run) {
        if (rewardModel != null) {
            return;
        }
        PreferenceSettings p = run.config().preference();
        try {
            rewardModel = RewardModel.load(run.config().model().modelNameOrPath(), p.rewardModel(), run.template());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        reference = ReferenceModel.of(run);
        kl = new AdaptiveKlController(p.ppoTarget());
        LOG.info("ppo: reward model {}, reference {}", p.rewardModel(), reference);
    }

    @Override
    public StepResult step(TrainingRun run, List<int[]> microBatches) {
        throw new IllegalStateException("PPO updates the weights several times per step: run it through the "
                + "training loop (step with an OptimizerUpdate)");
    }

    @Override
    public StepResult step(TrainingRun run, List<int[]> microBatches, OptimizerUpdate update) {
        prepare(run);
        FineTuneConfig cfg = run.config();
        CausalLM model = run.model();
        int miniBatch = cfg.training().perDeviceTrainBatchSize();
        int accumulation = cfg.training().gradientAccumulationSteps();

        // 1-2. rollout: sample, score
        List<Sample> samples = generate(run, microBatches);
        double[] raw = new double[samples.size()];
        for (int from = 0; from < samples.size(); from += miniBatch) {
            List<Sample> part = samples.subList(from, Math.min(samples.size(), from + miniBatch));
            double[] s = rewardModel.scores(part.stream().map(Sample::sequence).toList());
            System.arraycopy(s, 0, raw, from, s.length);
        }
        double[] scores = raw;
        if (cfg.preference().ppoScoreNorm()) {
            scoreMoments.update(raw);
            scores = scoreMoments.normalise(raw);
        }

        // 3. log-probs and values of the rollout, no gradient
        for (int from = 0; from < samples.size(); from += miniBatch) {
            List<Sample> part = samples.subList(from, Math.min(samples.size(), from + miniBatch));
            Batch b = RewardModel.rightPadded(part.stream().map(Sample::sequence).toList());
            Pass policy = Pass.run(model, critic, part, b, false);
            List<double[]> ref = responseLogProbs(reference, part, b);
            for (int i = 0; i < part.size(); i++) {
                part.get(i).logProbs = policy.logProbs.get(i);
                part.get(i).values = policy.values.get(i);
                part.get(i).refLogProbs = ref.get(i);
            }
        }

        // 4. rewards, advantages, returns
        double klCoef = kl.value();
        double[][] rewards = new double[samples.size()][];
        double klSum = 0;
        for (int i = 0; i < samples.size(); i++) {
            Sample s = samples.get(i);
            s.score = scores[i];
            rewards[i] = AdvantageEstimation.rewards(s.logProbs, s.refLogProbs, klCoef, scores[i]);
            for (int t = 0; t < s.logProbs.length; t++) {
                klSum += s.logProbs[t] - s.refLogProbs[t];
            }
        }
        if (cfg.preference().ppoWhitenRewards()) {
            AdvantageEstimation.whiten(rewards, false);
        }
        double[][] advantages = new double[samples.size()][];
        for (int i = 0; i < samples.size(); i++) {
            Sample s = samples.get(i);
            advantages[i] = AdvantageEstimation.advantages(rewards[i], s.values, AdvantageEstimation.GAMMA,
                    AdvantageEstimation.LAMBDA);
            s.returns = new double[advantages[i].length];
            for (int t = 0; t < s.returns.length; t++) {
                s.returns[t] = advantages[i][t] + s.values[t];
            }
        }
        AdvantageEstimation.whiten(advantages, true);
        for (int i = 0; i < samples.size(); i++) {
            samples.get(i).advantages = advantages[i];
        }

        // 5. ppo_epochs passes in shuffled mini-batches; an update every `accumulation` mini-batches
        SplittableRandom shuffle = new SplittableRandom(cfg.training().seed() * 31 + rollouts);
        int n = samples.size();
        int backwardBatch = miniBatch * accumulation;
        int epochs = cfg.preference().ppoEpochs();
        double lossSum = 0;
        double policySum = 0;
        double valueSum = 0;
        double clipSum = 0;
        int miniBatches = 0;
        for (int epoch = 0; epoch < epochs; epoch++) {
            int[] order = permutation(n, shuffle);
            for (int start = 0; start < n; start += backwardBatch) {
                int end = Math.min(n, start + backwardBatch);
                int parts = (end - start + miniBatch - 1) / miniBatch;
                for (int from = start; from < end; from += miniBatch) {
                    List<Sample> part = new ArrayList<>();
                    for (int k = from; k < Math.min(end, from + miniBatch); k++) {
                        part.add(samples.get(order[k]));
                    }
                    PpoObjective.Result r = trainMiniBatch(model, part, 1.0 / parts);
                    lossSum += r.loss();
                    policySum += r.policyLoss();
                    valueSum += r.valueLoss();
                    clipSum += r.clipFraction();
                    miniBatches++;
                }
                boolean lastUpdate = epoch == epochs - 1 && end == n;
                if (!lastUpdate) {
                    update.apply(); // the loop applies the last one, with its log line's gradient norm
                }
            }
        }

        // 6. adaptive KL
        double meanKl = klSum / n;
        kl.update(meanKl, n);
        rollouts++;

        long tokens = 0;
        double responseLength = 0;
        double rawMean = 0;
        for (int i = 0; i < n; i++) {
            tokens += samples.get(i).query.length + samples.get(i).response.length;
            responseLength += samples.get(i).response.length;
            rawMean += raw[i];
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("reward", rawMean / n);
        metrics.put("objective/kl", meanKl);
        metrics.put("objective/kl_coef", klCoef);
        metrics.put("ppo/loss/policy", policySum / miniBatches);
        metrics.put("ppo/loss/value", valueSum / miniBatches);
        metrics.put("ppo/policy/clipfrac", clipSum / miniBatches);
        metrics.put("tokens/responses_len_mean", responseLength / n);
        return new StepResult(lossSum / miniBatches, tokens, metrics);
    }

    /** PPO has no evaluation loss (LLaMA-Factory refuses an evaluation set for it; so does the builder). */
    @Override
    public double evaluate(TrainingRun run) {
        return Double.NaN;
    }

    /** Samples one response per prompt of the step with the policy (no gradient). */
    private List<Sample> generate(TrainingRun run, List<int[]> microBatches) {
        GeneratingSettings g = run.config().generating();
        CausalLM model = run.model();
        Set<Integer> eos = Set.copyOf(model.config().eosTokenIds());
        Set<Integer> stops = new HashSet<>(run.template().stopIds(run.tokenizer()));
        long seed = run.config().training().seed() * 1_000_003L + rollouts * 10_007L;
        List<Sample> out = new ArrayList<>();
        Generator generator = new Generator(model);
        for (int[] rows : microBatches) {
            for (EncodedExample prompt : run.data().promptRows(rows)) {
                SamplingConfig sampling = g.doSample()
                        ? SamplingConfig.sample(g.temperature(), g.topK(), g.topP(), seed + out.size())
                        : SamplingConfig.greedy();
                GenerationConfig config = new GenerationConfig(g.maxNewTokens(),
                        sampling.withRepetitionPenalty(g.repetitionPenalty()), eos, stops);
                int[] response = generator.generate(prompt.inputIds(), config, null).tokens();
                out.add(new Sample(prompt.inputIds(), response));
            }
        }
        return out;
    }

    /** Forward and backward of one mini-batch; gradients scaled by {@code scale} (1 / mini-batches per update). */
    private PpoObjective.Result trainMiniBatch(CausalLM model, List<Sample> part, double scale) {
        Batch b = RewardModel.rightPadded(part.stream().map(Sample::sequence).toList());
        Pass pass = Pass.run(model, critic, part, b, true);
        int total = pass.positions.length;
        double[] lp = new double[total];
        double[] oldLp = new double[total];
        double[] v = new double[total];
        double[] oldV = new double[total];
        double[] adv = new double[total];
        double[] ret = new double[total];
        int k = 0;
        for (int i = 0; i < part.size(); i++) {
            Sample s = part.get(i);
            for (int t = 0; t < s.response.length; t++, k++) {
                lp[k] = pass.logProbs.get(i)[t];
                v[k] = pass.values.get(i)[t];
                oldLp[k] = s.logProbs[t];
                oldV[k] = s.values[t];
                adv[k] = s.advantages[t];
                ret[k] = s.returns[t];
            }
        }
        PpoObjective.Result r = objective.compute(lp, oldLp, v, oldV, adv, ret);
        double[] dLp = r.dLogProbs();
        double[] dV = r.dValues();
        for (int j = 0; j < total; j++) {
            dLp[j] *= scale;
            dV[j] *= scale;
        }
        pass.backward(dLp, dV);
        return r;
    }

    /** The reference's log-probs of each sample's response tokens (no gradient). */
    private static List<double[]> responseLogProbs(ReferenceModel reference, List<Sample> part, Batch b) {
        var adapter = reference.switchedOffAdapter();
        if (adapter != null) {
            adapter.setEnabled(false);
        }
        try {
            return Pass.run(reference.model(), null, part, b, false).logProbs;
        } finally {
            if (adapter != null) {
                adapter.setEnabled(true);
            }
        }
    }

    private static int[] permutation(int n, SplittableRandom random) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /**
     * One forward of prompt + response sequences (right-padded): the log-prob of each response token and, with a
     * critic, its value, both read at the position that predicts the token (TRL's {@code logits[:, :-1]} and
     * {@code values[:, :-1]}). A training pass keeps what {@link #backward} needs.
     */
    private static final class Pass {
        final List<double[]> logProbs = new ArrayList<>();
        final List<double[]> values = new ArrayList<>();
        final int[] positions;
        private final CausalLM model;
        private final ValueHead critic;
        private final int[] targets;
        private INDArray hidden;

        private Pass(CausalLM model, ValueHead critic, int[] positions, int[] targets) {
            this.model = model;
            this.critic = critic;
            this.positions = positions;
            this.targets = targets;
        }

        static Pass run(CausalLM model, ValueHead critic, List<Sample> part, Batch b, boolean training) {
            int seq = b.seqLen();
            int[] targets = new int[b.batchSize() * seq];
            java.util.Arrays.fill(targets, EncodedExample.IGNORE_INDEX);
            int count = part.stream().mapToInt(s -> s.response.length).sum();
            int[] positions = new int[count];
            int k = 0;
            for (int i = 0; i < part.size(); i++) {
                Sample s = part.get(i);
                for (int t = 0; t < s.response.length; t++) {
                    int p = i * seq + s.query.length - 1 + t;
                    targets[p] = s.response[t];
                    positions[k++] = p;
                }
            }
            Pass pass = new Pass(model, critic, positions, targets);
            try (ArrayPool.Activation a = model.pool().activate()) {
                INDArray h = model.forward(b, training);
                double[] lp = CausalLmLoss.tokenLogProbs(model.lmHead(), h, targets,
                        model.options().lossChunkElements());
                double[] v = null;
                if (critic != null) {
                    INDArray rows = Nd4j.pullRows(h, 1, positions);
                    INDArray values = critic.forward(rows, training);
                    v = values.toDoubleVector();
                    Tensors.close(values);
                }
                k = 0;
                for (Sample s : part) {
                    double[] l = new double[s.response.length];
                    double[] vs = new double[s.response.length];
                    for (int t = 0; t < l.length; t++, k++) {
                        l[t] = lp[positions[k]];
                        vs[t] = v == null ? 0 : v[k];
                    }
                    pass.logProbs.add(l);
                    pass.values.add(vs);
                }
                if (training) {
                    pass.hidden = h;
                } else {
                    Tensors.close(h);
                }
            }
            return pass;
        }

        /** Back-propagates ∂loss/∂logπ and ∂loss/∂v of the response tokens (in {@link #positions} order). */
        void backward(double[] dLogProbs, double[] dValues) {
            try (ArrayPool.Activation a = model.pool().activate()) {
                double[] upstream = new double[targets.length];
                for (int j = 0; j < positions.length; j++) {
                    upstream[positions[j]] = dLogProbs[j];
                }
                INDArray dh = CausalLmLoss.tokenLogProbsBackward(model.lmHead(), hidden, targets, upstream,
                        model.options().lossChunkElements());
                INDArray dv = Nd4j.createFromArray(dValues).castTo(hidden.dataType()).reshape(dValues.length, 1);
                INDArray dRows = critic.backward(dv);
                for (int j = 0; j < positions.length; j++) {
                    dh.getRow(positions[j]).addi(dRows.getRow(j));
                }
                model.backward(dh);
                Tensors.close(hidden, dh, dRows);
                hidden = null;
            }
        }
    }
}
