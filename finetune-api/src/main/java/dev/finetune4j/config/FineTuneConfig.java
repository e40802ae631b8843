package dev.finetune4j.config;

import dev.finetune4j.FineTuneException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Every setting of a fine-tuning run, immutable, grouped as LLaMA-Factory groups its arguments. Made by
 * {@link Builder#build()}, which fills the defaults of LLaMA-Factory and the HuggingFace Trainer and checks
 * every value, failing with a message that says what to change.
 */
public record FineTuneConfig(ModelSettings model, DataSettings data, MethodSettings method,
                             TrainingSettings training, PreferenceSettings preference, GeneratingSettings generating) {

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The three presets of SiliconFlow's fine-tuning guide. Each sets learning rate, epochs, batch size and
     * the LoRA rank, alpha and dropout; anything set after the preset overrides it.
     */
    public enum Preset {
        /** lr 1e-4, 3 epochs, batch 8, rank 8, alpha 32, dropout 0.05. */
        STANDARD(1e-4, 3, 8, 8, 32, 0.05),
        /** lr 1e-4, 5 epochs, batch 16, rank 16, alpha 64, dropout 0.05. */
        QUALITY(1e-4, 5, 16, 16, 64, 0.05),
        /** lr 1e-4, 2 epochs, batch 8, rank 4, alpha 16, dropout 0.05. */
        FAST(1e-4, 2, 8, 4, 16, 0.05);

        final double learningRate;
        final double epochs;
        final int batchSize;
        final int rank;
        final int alpha;
        final double dropout;

        Preset(double learningRate, double epochs, int batchSize, int rank, int alpha, double dropout) {
            this.learningRate = learningRate;
            this.epochs = epochs;
            this.batchSize = batchSize;
            this.rank = rank;
            this.alpha = alpha;
            this.dropout = dropout;
        }

        public static Preset parse(String name) {
            try {
                return valueOf(name.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new FineTuneException("preset '" + name + "' is not one of standard, quality, fast");
            }
        }
    }

    /** Mutable collector of settings; {@link #build()} validates. Setter names follow the YAML keys. */
    public static final class Builder {
        // model
        private Path modelNameOrPath;
        private Path adapterNameOrPath;
        private String device = "auto";
        private int quantizationBit = 0;
        private String quantizationType = "nf4";
        private boolean doubleQuantization = true;
        private boolean activationCheckpointing = false;
        // data
        private final List<String> datasets = new ArrayList<>();
        private final List<String> evalDatasets = new ArrayList<>();
        private Path datasetDir = Path.of("data");
        private String template;
        private int cutoffLen = 2048;
        private Integer maxSamples;
        private boolean trainOnPrompt;
        private boolean maskHistory;
        private Boolean packing;
        private boolean neatPacking;
        private double valSize;
        private Boolean enableThinking = Boolean.TRUE;
        private String defaultSystem;
        private Path tokenizedPath;
        // method
        private Stage stage = Stage.SFT;
        private FinetuningType finetuningType = FinetuningType.LORA;
        private int loraRank = 8;
        private Integer loraAlpha;
        private double loraDropout = 0.0;
        private List<String> loraTarget = List.of("all");
        private boolean useRslora;
        private boolean useDora;
        private boolean pissaInit;
        private int pissaIter = 16;
        private boolean pissaConvert;
        private Double loraplusLrRatio;
        private double loraplusLrEmbedding = 1e-6;
        private List<String> additionalTarget = List.of();
        private int freezeTrainableLayers = 2;
        private List<String> freezeTrainableModules = List.of("all");
        private List<String> freezeExtraModules = List.of();
        // training (HF Trainer defaults)
        private Path outputDir;
        private boolean overwriteOutputDir;
        private int perDeviceTrainBatchSize = 8;
        private int perDeviceEvalBatchSize = 8;
        private int gradientAccumulationSteps = 1;
        private double learningRate = 5e-5;
        private double numTrainEpochs = 3.0;
        private int maxSteps = -1;
        private SchedulerType lrSchedulerType = SchedulerType.LINEAR;
        private double warmupRatio;
        private int warmupSteps;
        private double weightDecay;
        private double adamBeta1 = 0.9;
        private double adamBeta2 = 0.999;
        private double adamEpsilon = 1e-8;
        private double maxGradNorm = 1.0;
        private long seed = 42;
        private boolean disableShuffling;
        private int loggingSteps = 500;
        private int saveSteps = 500;
        private Integer saveTotalLimit;
        private boolean saveOnlyModel;
        private String evalStrategy = "no";
        private int evalSteps = 500;
        private Path resumeFromCheckpoint;
        private boolean plotLoss = true;
        // preference stages
        private double prefBeta = 0.1;
        private double prefFtx = 0.0;
        private PreferenceLoss prefLoss = PreferenceLoss.SIGMOID;
        private double dpoLabelSmoothing = 0.0;
        private double simpoGamma = 0.5;
        private double ktoChosenWeight = 1.0;
        private double ktoRejectedWeight = 1.0;
        private Path refModel;
        private Path rewardModel;
        private int ppoBufferSize = 1;
        private int ppoEpochs = 4;
        private boolean ppoScoreNorm;
        private double ppoTarget = 6.0;
        private boolean ppoWhitenRewards;
        // generation (stage ppo)
        private boolean doSample = true;
        private double temperature = 0.95;
        private double topP = 0.7;
        private int topK = 50;
        private int maxNewTokens = 1024;
        private double repetitionPenalty = 1.0;

        Builder() {
        }

        public Builder preset(Preset p) {
            learningRate = p.learningRate;
            numTrainEpochs = p.epochs;
            perDeviceTrainBatchSize = p.batchSize;
            finetuningType = FinetuningType.LORA;
            loraRank = p.rank;
            loraAlpha = p.alpha;
            loraDropout = p.dropout;
            return this;
        }

        public Builder modelNameOrPath(Path v) { modelNameOrPath = v; return this; }
        public Builder adapterNameOrPath(Path v) { adapterNameOrPath = v; return this; }
        public Builder device(String v) { device = v; return this; }
        public Builder quantizationBit(int v) { quantizationBit = v; return this; }
        public Builder quantizationType(String v) { quantizationType = v; return this; }
        public Builder doubleQuantization(boolean v) { doubleQuantization = v; return this; }
        public Builder activationCheckpointing(boolean v) { activationCheckpointing = v; return this; }

        public Builder dataset(String... names) { datasets.addAll(Arrays.asList(names)); return this; }
        public Builder datasets(List<String> names) { datasets.clear(); datasets.addAll(names); return this; }
        public Builder evalDatasets(List<String> names) { evalDatasets.clear(); evalDatasets.addAll(names); return this; }
        public Builder datasetDir(Path v) { datasetDir = v; return this; }
        public Builder template(String v) { template = v; return this; }
        public Builder cutoffLen(int v) { cutoffLen = v; return this; }
        public Builder maxSamples(Integer v) { maxSamples = v; return this; }
        public Builder trainOnPrompt(boolean v) { trainOnPrompt = v; return this; }
        public Builder maskHistory(boolean v) { maskHistory = v; return this; }
        public Builder packing(Boolean v) { packing = v; return this; }
        public Builder neatPacking(boolean v) { neatPacking = v; return this; }
        public Builder valSize(double v) { valSize = v; return this; }
        public Builder enableThinking(Boolean v) { enableThinking = v; return this; }
        public Builder defaultSystem(String v) { defaultSystem = v; return this; }
        public Builder tokenizedPath(Path v) { tokenizedPath = v; return this; }

        public Builder stage(Stage v) { stage = Objects.requireNonNull(v); return this; }
        public Builder finetuningType(FinetuningType v) { finetuningType = Objects.requireNonNull(v); return this; }
        public Builder loraRank(int v) { loraRank = v; return this; }
        public Builder loraAlpha(Integer v) { loraAlpha = v; return this; }
        public Builder loraDropout(double v) { loraDropout = v; return this; }
        public Builder loraTarget(List<String> v) { loraTarget = List.copyOf(v); return this; }
        public Builder useRslora(boolean v) { useRslora = v; return this; }
        public Builder useDora(boolean v) { useDora = v; return this; }
        public Builder pissaInit(boolean v) { pissaInit = v; return this; }
        public Builder pissaIter(int v) { pissaIter = v; return this; }
        public Builder pissaConvert(boolean v) { pissaConvert = v; return this; }
        public Builder loraplusLrRatio(Double v) { loraplusLrRatio = v; return this; }
        public Builder loraplusLrEmbedding(double v) { loraplusLrEmbedding = v; return this; }
        public Builder additionalTarget(List<String> v) { additionalTarget = List.copyOf(v); return this; }
        public Builder freezeTrainableLayers(int v) { freezeTrainableLayers = v; return this; }
        public Builder freezeTrainableModules(List<String> v) { freezeTrainableModules = List.copyOf(v); return this; }
        public Builder freezeExtraModules(List<String> v) { freezeExtraModules = List.copyOf(v); return this; }

        public Builder outputDir(Path v) { outputDir = v; return this; }
        public Builder overwriteOutputDir(boolean v) { overwriteOutputDir = v; return this; }
        public Builder perDeviceTrainBatchSize(int v) { perDeviceTrainBatchSize = v; return this; }
        public Builder perDeviceEvalBatchSize(int v) { perDeviceEvalBatchSize = v; return this; }
        public Builder gradientAccumulationSteps(int v) { gradientAccumulationSteps = v; return this; }
        public Builder learningRate(double v) { learningRate = v; return this; }
        public Builder numTrainEpochs(double v) { numTrainEpochs = v; return this; }
        public Builder maxSteps(int v) { maxSteps = v; return this; }
        public Builder lrSchedulerType(SchedulerType v) { lrSchedulerType = Objects.requireNonNull(v); return this; }
        public Builder warmupRatio(double v) { warmupRatio = v; return this; }
        public Builder warmupSteps(int v) { warmupSteps = v; return this; }
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        public Builder adamBeta1(double v) { adamBeta1 = v; return this; }
        public Builder adamBeta2(double v) { adamBeta2 = v; return this; }
        public Builder adamEpsilon(double v) { adamEpsilon = v; return this; }
        public Builder maxGradNorm(double v) { maxGradNorm = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder disableShuffling(boolean v) { disableShuffling = v; return this; }
        public Builder loggingSteps(int v) { loggingSteps = v; return this; }
        public Builder saveSteps(int v) { saveSteps = v; return this; }
        public Builder saveTotalLimit(Integer v) { saveTotalLimit = v; return this; }
        public Builder saveOnlyModel(boolean v) { saveOnlyModel = v; return this; }
        public Builder evalStrategy(String v) { evalStrategy = v; return this; }
        public Builder evalSteps(int v) { evalSteps = v; return this; }
        public Builder resumeFromCheckpoint(Path v) { resumeFromCheckpoint = v; return this; }
        public Builder plotLoss(boolean v) { plotLoss = v; return this; }

        public Builder prefBeta(double v) { prefBeta = v; return this; }
        public Builder prefFtx(double v) { prefFtx = v; return this; }
        public Builder prefLoss(PreferenceLoss v) { prefLoss = Objects.requireNonNull(v); return this; }
        public Builder dpoLabelSmoothing(double v) { dpoLabelSmoothing = v; return this; }
        public Builder simpoGamma(double v) { simpoGamma = v; return this; }
        public Builder ktoChosenWeight(double v) { ktoChosenWeight = v; return this; }
        public Builder ktoRejectedWeight(double v) { ktoRejectedWeight = v; return this; }
        public Builder refModel(Path v) { refModel = v; return this; }
        public Builder rewardModel(Path v) { rewardModel = v; return this; }
        public Builder ppoBufferSize(int v) { ppoBufferSize = v; return this; }
        public Builder ppoEpochs(int v) { ppoEpochs = v; return this; }
        public Builder ppoScoreNorm(boolean v) { ppoScoreNorm = v; return this; }
        public Builder ppoTarget(double v) { ppoTarget = v; return this; }
        public Builder ppoWhitenRewards(boolean v) { ppoWhitenRewards = v; return this; }

        public Builder doSample(boolean v) { doSample = v; return this; }
        public Builder temperature(double v) { temperature = v; return this; }
        public Builder topP(double v) { topP = v; return this; }
        public Builder topK(int v) { topK = v; return this; }
        public Builder maxNewTokens(int v) { maxNewTokens = v; return this; }
        public Builder repetitionPenalty(double v) { repetitionPenalty = v; return this; }

        /** True when no dataset name and no tokenized path was given (the caller may supply dataset objects). */
        public boolean hasNoNamedData() {
            return datasets.isEmpty() && tokenizedPath == null;
        }

        /**
         * Validates and freezes the settings.
         *
         * @param datasetObjects how many dataset objects the caller supplies beside registry names (the builder of
         *                       {@code FineTuner} passes {@code Datasets.*} sources); 0 from YAML
         * @param templateObject true when a template object replaces the template name
         */
        public FineTuneConfig build(int datasetObjects, boolean templateObject) {
            require(modelNameOrPath != null, "no model: set model_name_or_path (builder: .model(Path)) to a "
                    + "HuggingFace checkpoint folder");
            require(outputDir != null, "no output folder: set output_dir (builder: .outputDir(Path))");
            require(!datasets.isEmpty() || tokenizedPath != null || datasetObjects > 0,
                    "no training data: set dataset (registry names in dataset_dir), tokenized_path, or pass "
                            + ".dataset(Datasets.…) objects");
            require(template != null || templateObject || tokenizedPath != null || stage == Stage.PT,
                    "no chat template: set template (e.g. qwen, llama3, chatml) or pass .template(ChatTemplate)");
            require(cutoffLen >= 2, "cutoff_len must be at least 2, got " + cutoffLen);
            require(maxSamples == null || maxSamples > 0, "max_samples must be positive, got " + maxSamples);
            require(valSize >= 0, "val_size must be 0 (none), a fraction in (0, 1) or a count > 1, got " + valSize);
            require(valSize == 0 || evalDatasets.isEmpty(), "val_size and eval_dataset cannot be combined: "
                    + "remove one of them");
            require(!neatPacking || !Boolean.FALSE.equals(packing), "neat_packing needs packing: remove "
                    + "packing: false or neat_packing: true");

            require(loraRank >= 1, "lora_rank must be at least 1, got " + loraRank);
            int alpha = loraAlpha == null ? 2 * loraRank : loraAlpha;
            require(alpha > 0, "lora_alpha must be positive, got " + alpha);
            require(loraDropout >= 0 && loraDropout < 1, "lora_dropout must be in [0, 1), got " + loraDropout);
            require(!loraTarget.isEmpty(), "lora_target is empty: use all or a comma list such as q_proj,v_proj");
            require(pissaIter >= -1, "pissa_iter must be -1 (exact SVD) or a number of iterations, got " + pissaIter);
            require(loraplusLrRatio == null || loraplusLrRatio > 0, "loraplus_lr_ratio must be positive");
            require(freezeTrainableLayers != 0, "freeze_trainable_layers must be non-zero: positive = last n layers, "
                    + "negative = first n layers");
            require(quantizationBit == 0 || quantizationBit == 4 || quantizationBit == 8,
                    "quantization_bit must be 4 or 8 (or absent), got " + quantizationBit);
            require(quantizationBit == 0 || finetuningType == FinetuningType.LORA,
                    "quantization_bit needs finetuning_type: lora (a quantized base cannot be trained directly)");
            String qtype = quantizationType == null ? "nf4" : quantizationType.trim().toLowerCase(Locale.ROOT);
            require(qtype.equals("nf4") || qtype.equals("fp4"), "quantization_type must be nf4 or fp4, got "
                    + quantizationType);

            require(perDeviceTrainBatchSize >= 1, "per_device_train_batch_size must be at least 1, got "
                    + perDeviceTrainBatchSize);
            require(perDeviceEvalBatchSize >= 1, "per_device_eval_batch_size must be at least 1");
            require(gradientAccumulationSteps >= 1, "gradient_accumulation_steps must be at least 1, got "
                    + gradientAccumulationSteps);
            require(learningRate > 0 && Double.isFinite(learningRate), "learning_rate must be positive, got "
                    + learningRate);
            require(maxSteps > 0 || numTrainEpochs > 0, "set num_train_epochs > 0 or max_steps > 0");
            require(warmupRatio >= 0 && warmupRatio < 1, "warmup_ratio must be in [0, 1), got " + warmupRatio);
            require(warmupSteps >= 0, "warmup_steps must be >= 0, got " + warmupSteps);
            require(weightDecay >= 0, "weight_decay must be >= 0, got " + weightDecay);
            require(adamBeta1 >= 0 && adamBeta1 < 1 && adamBeta2 >= 0 && adamBeta2 < 1,
                    "adam_beta1 and adam_beta2 must be in [0, 1)");
            require(adamEpsilon > 0, "adam_epsilon must be positive");
            require(maxGradNorm >= 0, "max_grad_norm must be >= 0 (0 disables clipping), got " + maxGradNorm);
            require(loggingSteps >= 1, "logging_steps must be at least 1, got " + loggingSteps);
            require(saveSteps >= 1, "save_steps must be at least 1, got " + saveSteps);
            require(saveTotalLimit == null || saveTotalLimit >= 1, "save_total_limit must be at least 1");
            String eval = evalStrategy == null ? "no" : evalStrategy.trim().toLowerCase(Locale.ROOT);
            require(eval.equals("no") || eval.equals("steps") || eval.equals("epoch"),
                    "eval_strategy must be no, steps or epoch, got " + evalStrategy);
            require(evalSteps >= 1, "eval_steps must be at least 1");

            require(prefBeta > 0, "pref_beta must be positive, got " + prefBeta);
            require(dpoLabelSmoothing >= 0 && dpoLabelSmoothing <= 0.5,
                    "dpo_label_smoothing must be in [0, 0.5], got " + dpoLabelSmoothing);
            require(dpoLabelSmoothing == 0 || prefLoss == PreferenceLoss.SIGMOID,
                    "dpo_label_smoothing only applies to pref_loss: sigmoid");
            require(stage != Stage.PPO || rewardModel != null, "stage: ppo needs reward_model (a reward model "
                    + "folder written by stage: rm)");
            require(ppoBufferSize >= 1 && ppoEpochs >= 1, "ppo_buffer_size and ppo_epochs must be at least 1");
            require(ppoTarget > 0, "ppo_target must be positive, got " + ppoTarget);
            require(temperature > 0, "temperature must be positive, got " + temperature);
            require(topP > 0 && topP <= 1, "top_p must be in (0, 1], got " + topP);
            require(topK >= 0, "top_k must be >= 0 (0: no top-k), got " + topK);
            require(maxNewTokens >= 1, "max_new_tokens must be at least 1, got " + maxNewTokens);
            require(repetitionPenalty > 0, "repetition_penalty must be positive, got " + repetitionPenalty);

            return new FineTuneConfig(
                    new ModelSettings(modelNameOrPath, adapterNameOrPath, device, quantizationBit, qtype,
                            doubleQuantization, activationCheckpointing),
                    new DataSettings(datasets, evalDatasets, datasetDir, template, cutoffLen, maxSamples,
                            trainOnPrompt, maskHistory, packing, neatPacking, valSize, enableThinking, defaultSystem,
                            tokenizedPath),
                    new MethodSettings(stage, finetuningType, loraRank, alpha, loraDropout, loraTarget, useRslora,
                            useDora, pissaInit, pissaIter, pissaConvert, loraplusLrRatio, loraplusLrEmbedding,
                            additionalTarget, freezeTrainableLayers, freezeTrainableModules, freezeExtraModules),
                    new TrainingSettings(outputDir, overwriteOutputDir, perDeviceTrainBatchSize,
                            perDeviceEvalBatchSize, gradientAccumulationSteps, learningRate, numTrainEpochs, maxSteps,
                            lrSchedulerType, warmupRatio, warmupSteps, weightDecay, adamBeta1, adamBeta2, adamEpsilon,
                            maxGradNorm, seed, disableShuffling, loggingSteps, saveSteps, saveTotalLimit,
                            saveOnlyModel, eval, evalSteps, resumeFromCheckpoint, plotLoss),
                    new PreferenceSettings(prefBeta, prefFtx, prefLoss, dpoLabelSmoothing, simpoGamma,
                            ktoChosenWeight, ktoRejectedWeight, refModel, rewardModel, ppoBufferSize, ppoEpochs,
                            ppoScoreNorm, ppoTarget, ppoWhitenRewards),
                    new GeneratingSettings(doSample, temperature, topP, topK, maxNewTokens, repetitionPenalty));
        }

        /** {@link #build(int, boolean)} for configurations that name all their data and their template. */
        public FineTuneConfig build() {
            return build(0, false);
        }

        private static void require(boolean ok, String message) {
            if (!ok) {
                throw new FineTuneException(message);
            }
        }
    }
}
