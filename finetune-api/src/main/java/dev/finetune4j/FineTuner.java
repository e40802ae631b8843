package dev.finetune4j;

import dev.finetune4j.adapter.Adapter;
import dev.finetune4j.adapter.Adapters;
import dev.finetune4j.config.FineTuneConfig;
import dev.finetune4j.config.FinetuningType;
import dev.finetune4j.config.SchedulerType;
import dev.finetune4j.config.Stage;
import dev.finetune4j.data.DatasetOptions;
import dev.finetune4j.data.DatasetRegistries;
import dev.finetune4j.data.DatasetSource;
import dev.finetune4j.data.EncodedExample;
import dev.finetune4j.data.Example;
import dev.finetune4j.device.DeviceSpec;
import dev.finetune4j.device.Devices;
import dev.finetune4j.encoding.DatasetEncoder;
import dev.finetune4j.encoding.EncodedDataset;
import dev.finetune4j.encoding.Encoders;
import dev.finetune4j.encoding.EncodingConfig;
import dev.finetune4j.encoding.TokenizedJsonl;
import dev.finetune4j.model.CausalLM;
import dev.finetune4j.model.ModelOptions;
import dev.finetune4j.model.HfModelFolder;
import dev.finetune4j.nn.Parameter;
import dev.finetune4j.quant.Quantizer;
import dev.finetune4j.quant.Quantizers;
import dev.finetune4j.template.ChatTemplate;
import dev.finetune4j.template.ChatTemplates;
import dev.finetune4j.template.TemplateOptions;
import dev.finetune4j.tokenizer.Tokenizer;
import dev.finetune4j.tokenizer.Tokenizers;
import dev.finetune4j.train.FreezeTuning;
import dev.finetune4j.train.Loss;
import dev.finetune4j.train.Trainer;
import dev.finetune4j.train.TrainingListener;
import dev.finetune4j.train.TrainingLoop;
import dev.finetune4j.train.TrainingRun;
import dev.finetune4j.train.TrainingSummary;
import dev.finetune4j.train.data.PromptEncoding;
import dev.finetune4j.train.data.StageExamples;
import dev.finetune4j.train.data.TrainingData;
import dev.finetune4j.train.loss.KtoSequences;
import dev.finetune4j.train.loss.PairedSequences;
import dev.finetune4j.train.loss.SequenceLoss;
import dev.finetune4j.train.recipes.Recipes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fine-tunes a HuggingFace checkpoint on your data: the library's entry point.
 *
 * <pre>{@code
 * FineTuneResult result = FineTuner.builder()
 *     .model(Path.of("models/Qwen2.5-0.5B-Instruct"))
 *     .dataset(Datasets.siliconFlow(Path.of("data/cs.jsonl")))
 *     .template("qwen")
 *     .lora(8, 32, 0.05)
 *     .epochs(3).learningRate(1e-4).batchSize(8)
 *     .outputDir(Path.of("out/cs-assistant"))
 *     .train();
 * }</pre>
 *
 * Every setting has LLaMA-Factory's / HuggingFace Trainer's default; {@link Builder#configure} reaches all of them by
 * their YAML names. Settings are checked when {@link Builder#train()} (or {@link Builder#config()}) is called, with an
 * error that says what to change. Strategies plug in as objects: a {@link ChatTemplate}, a {@link Loss}, a
 * {@link Trainer} recipe, an {@link Adapter}, {@link TrainingListener}s.
 */
public final class FineTuner {
    private static final Logger LOG = LoggerFactory.getLogger(FineTuner.class);

    private FineTuner() {
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Collects settings and strategies; {@link #train()} validates and runs. */
    public static final class Builder {
        private final FineTuneConfig.Builder config = FineTuneConfig.builder();
        private final List<DatasetSource> sources = new ArrayList<>();
        private final List<TrainingListener> listeners = new ArrayList<>();
        private ChatTemplate template;
        private Loss loss = Loss.crossEntropy();
        private Trainer trainer;
        private Adapter adapter;
        private SequenceLoss<PairedSequences> preferenceLoss;
        private SequenceLoss<KtoSequences> ktoLoss;
        private Quantizer quantizer;

        Builder() {
        }

        /** A HuggingFace checkpoint folder (config.json, safetensors weights, tokenizer files). */
        public Builder model(Path modelDir) {
            config.modelNameOrPath(modelDir);
            return this;
        }

        /** A dataset object, e.g. {@code Datasets.siliconFlow(path)}; several are concatenated in order. */
        public Builder dataset(DatasetSource source) {
            sources.add(Objects.requireNonNull(source, "source"));
            return this;
        }

        /** LLaMA-Factory registry names (comma-separated allowed) in {@link #datasetDir(Path)}. */
        public Builder dataset(String names) {
            config.dataset(Arrays.stream(names.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                    .toArray(String[]::new));
            return this;
        }

        /** The folder holding {@code dataset_info.json} (default {@code data}). */
        public Builder datasetDir(Path dir) {
            config.datasetDir(dir);
            return this;
        }

        /** A chat template by LLaMA-Factory's name ({@code qwen}, {@code llama3}, …), {@code jinja}, or a file path. */
        public Builder template(String name) {
            config.template(name);
            template = null;
            return this;
        }

        /** A chat template object (a user's own implementation). */
        public Builder template(ChatTemplate t) {
            template = Objects.requireNonNull(t, "template");
            return this;
        }

        public Builder stage(Stage stage) {
            config.stage(stage);
            return this;
        }

        /** LoRA with rank, alpha and dropout (PEFT semantics). */
        public Builder lora(int rank, int alpha, double dropout) {
            config.finetuningType(FinetuningType.LORA).loraRank(rank).loraAlpha(alpha).loraDropout(dropout);
            return this;
        }

        /** Which linear layers get LoRA: {@code all} (default) or module names such as {@code q_proj}, {@code v_proj}. */
        public Builder loraTarget(String... modules) {
            config.loraTarget(List.of(modules));
            return this;
        }

        /** Continue training this PEFT adapter folder instead of starting a new adapter. */
        public Builder adapterNameOrPath(Path adapterDir) {
            config.adapterNameOrPath(adapterDir);
            return this;
        }

        /**
         * QLoRA: keep the frozen base linear layers quantized ({@code Quantizers.nf4()}, {@code fp4()}, {@code int8()}),
         * as {@code quantization_bit}/{@code quantization_type}/{@code double_quantization} do from YAML. Needs LoRA.
         */
        public Builder quantize(Quantizer q) {
            quantizer = Objects.requireNonNull(q, "quantizer");
            boolean eight = q.name().equals("int8");
            config.quantizationBit(eight ? 8 : 4).doubleQuantization(q.doubleQuantization());
            if (!eight) {
                config.quantizationType(q.name());
            }
            return this;
        }

        public Builder finetuningType(FinetuningType type) {
            config.finetuningType(type);
            return this;
        }

        public Builder cutoffLen(int tokens) {
            config.cutoffLen(tokens);
            return this;
        }

        /** Examples per micro-batch ({@code per_device_train_batch_size}). */
        public Builder batchSize(int n) {
            config.perDeviceTrainBatchSize(n);
            return this;
        }

        public Builder gradientAccumulation(int steps) {
            config.gradientAccumulationSteps(steps);
            return this;
        }

        public Builder learningRate(double lr) {
            config.learningRate(lr);
            return this;
        }

        public Builder epochs(double epochs) {
            config.numTrainEpochs(epochs);
            return this;
        }

        /** Total optimizer steps; overrides epochs when positive. */
        public Builder maxSteps(int steps) {
            config.maxSteps(steps);
            return this;
        }

        public Builder scheduler(SchedulerType type) {
            config.lrSchedulerType(type);
            return this;
        }

        public Builder warmupRatio(double ratio) {
            config.warmupRatio(ratio);
            return this;
        }

        public Builder warmupSteps(int steps) {
            config.warmupSteps(steps);
            return this;
        }

        public Builder weightDecay(double wd) {
            config.weightDecay(wd);
            return this;
        }

        /** Global-norm gradient clipping; 0 disables it. */
        public Builder maxGradNorm(double norm) {
            config.maxGradNorm(norm);
            return this;
        }

        public Builder seed(long seed) {
            config.seed(seed);
            return this;
        }

        /** Shuffle the training examples each epoch (default on). */
        public Builder shuffle(boolean on) {
            config.disableShuffling(!on);
            return this;
        }

        /** Hold out a fraction (0..1) or a number (> 1) of examples and report the evaluation loss. */
        public Builder valSize(double size) {
            config.valSize(size);
            if (size > 0) {
                config.evalStrategy("epoch");
            }
            return this;
        }

        public Builder loggingSteps(int steps) {
            config.loggingSteps(steps);
            return this;
        }

        public Builder saveSteps(int steps) {
            config.saveSteps(steps);
            return this;
        }

        public Builder saveTotalLimit(int limit) {
            config.saveTotalLimit(limit);
            return this;
        }

        public Builder outputDir(Path dir) {
            config.outputDir(dir);
            return this;
        }

        /** Allow writing into a non-empty output folder (its previous log is replaced). */
        public Builder overwriteOutputDir(boolean on) {
            config.overwriteOutputDir(on);
            return this;
        }

        /** Continue a run from one of its {@code checkpoint-N} folders. */
        public Builder resumeFromCheckpoint(Path checkpointDir) {
            config.resumeFromCheckpoint(checkpointDir);
            return this;
        }

        /** One of SiliconFlow's presets (standard, quality, fast); settings made after it override it. */
        public Builder preset(FineTuneConfig.Preset preset) {
            config.preset(preset);
            return this;
        }

        /** {@code auto} (default), {@code cpu}, {@code cuda} or {@code cuda:N}. */
        public Builder device(String device) {
            config.device(device);
            return this;
        }

        /** A token-level loss for pt/sft (default: cross-entropy). */
        public Builder loss(Loss l) {
            loss = Objects.requireNonNull(l, "loss");
            return this;
        }

        /**
         * A loss of your own for stage {@code dpo}, on the sequence log-probs of the chosen/rejected pairs (default:
         * the {@code pref_loss} of the settings). Extend {@link dev.finetune4j.train.loss.PairwisePreferenceLoss} for
         * a per-pair formula, or implement {@link SequenceLoss} directly.
         */
        public Builder preferenceLoss(SequenceLoss<PairedSequences> l) {
            preferenceLoss = Objects.requireNonNull(l, "preferenceLoss");
            return this;
        }

        /** A loss of your own for stage {@code kto} (default: {@link dev.finetune4j.train.loss.KtoLoss}). */
        public Builder ktoLoss(SequenceLoss<KtoSequences> l) {
            ktoLoss = Objects.requireNonNull(l, "ktoLoss");
            return this;
        }

        /** A training recipe of your own (default: the built-in recipe of the stage). */
        public Builder trainer(Trainer t) {
            trainer = Objects.requireNonNull(t, "trainer");
            return this;
        }

        /** An adapter object of your own (default: made from the LoRA settings). */
        public Builder adapter(Adapter a) {
            adapter = Objects.requireNonNull(a, "adapter");
            return this;
        }

        public Builder listener(TrainingListener l) {
            listeners.add(Objects.requireNonNull(l, "listener"));
            return this;
        }

        /** Any other setting, by LLaMA-Factory's YAML names: {@code .configure(c -> c.neatPacking(true))}. */
        public Builder configure(Consumer<FineTuneConfig.Builder> settings) {
            settings.accept(config);
            return this;
        }

        /** The validated settings (what {@link #train()} runs with). */
        public FineTuneConfig config() {
            return config.build(sources.size(), template != null);
        }

        /** Validates, prepares data and model, trains, writes the output folder, and returns what it produced. */
        public FineTuneResult train() {
            FineTuneConfig cfg = config();
            try {
                return run(cfg);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private FineTuneResult run(FineTuneConfig cfg) throws IOException {
            Path modelDir = cfg.model().modelNameOrPath();
            checkInputs(cfg);
            Devices.activate(DeviceSpec.parse(cfg.model().device()));
            Stage stage = cfg.method().stage();
            Trainer recipe = trainer != null ? trainer : Recipes.forStage(stage, preferenceLoss, ktoLoss);
            if (!recipe.stages().contains(stage)) {
                throw new FineTuneException("the trainer " + recipe.getClass().getSimpleName() + " runs stages "
                        + recipe.stages() + ", not " + stage.yamlName());
            }
            try (Tokenizer tokenizer = Tokenizers.load(modelDir)) {
                ChatTemplate chat = template != null ? template
                        : cfg.data().template() != null ? ChatTemplates.get(cfg.data().template())
                        : ChatTemplates.get("empty");
                EncodingConfig encoding = EncodingConfig.builder()
                        .stage(stage)
                        .cutoffLen(cfg.data().cutoffLen())
                        .trainOnPrompt(cfg.data().trainOnPrompt())
                        .maskHistory(cfg.data().maskHistory())
                        .packing(cfg.data().packing())
                        .neatPacking(cfg.data().neatPacking())
                        .templateOptions(new TemplateOptions(cfg.data().enableThinking(), false,
                                cfg.data().defaultSystem(), null))
                        .build();
                DatasetEncoder encoder = Encoders.create(tokenizer, chat, encoding);
                EncodedDataset train = encodeTraining(cfg, encoder);
                EncodedDataset eval = cfg.data().evalDatasets().isEmpty() ? null
                        : encoder.encode(registry(cfg, cfg.data().evalDatasets()));
                // a ppo step is one rollout of ppo_buffer_size accumulation windows (LLaMA-Factory's PPO batch)
                int windows = stage == Stage.PPO ? cfg.preference().ppoBufferSize() : 1;
                TrainingData data = TrainingData.of(encoder, train, eval, cfg.data().valSize(),
                        cfg.training().perDeviceTrainBatchSize(),
                        cfg.training().gradientAccumulationSteps() * windows,
                        cfg.training().seed(), !cfg.training().disableShuffling());
                return trainModel(cfg, tokenizer, chat, data, recipe);
            }
        }

        private FineTuneResult trainModel(FineTuneConfig cfg, Tokenizer tokenizer, ChatTemplate chat,
                                          TrainingData data, Trainer recipe) throws IOException {
            Path modelDir = cfg.model().modelNameOrPath();
            Path resume = cfg.training().resumeFromCheckpoint();
            FinetuningType type = cfg.method().finetuningType();
            ModelOptions options = ModelOptions.defaults()
                    .withActivationCheckpointing(cfg.model().activationCheckpointing());
            Path weightsFrom = type != FinetuningType.LORA && resume != null ? resume : modelDir;
            Quantizer quant = quantizer != null ? quantizer : Quantizers.fromSettings(cfg.model());
            if (quant != null && cfg.method().pissaInit()) {
                throw new FineTuneException("pissa_init cannot start from a quantized model (its SVD needs the "
                        + "full-precision weights): remove quantization_bit or pissa_init");
            }
            CausalLM.LinearWeights weights = quant == null ? CausalLM.LinearWeights.dense()
                    : Quantizers.baseWeights(quant);
            try (CausalLM model = CausalLM.load(weightsFrom, options, weights)) {
                Adapter adapterUsed = null;
                List<Parameter> trainable;
                TrainingLoop.WeightsWriter writer;
                TrainingLoop.StepSeeder seeder = s -> { };
                switch (type) {
                    case LORA -> {
                        long seed = cfg.training().seed();
                        Adapter a;
                        if (resume != null) {
                            a = Adapters.load(resume, true, seed);
                        } else if (adapter != null) {
                            a = adapter;
                        } else if (cfg.model().adapterNameOrPath() != null) {
                            a = Adapters.load(cfg.model().adapterNameOrPath(), true, seed);
                        } else {
                            a = Adapters.create(cfg.method(), seed);
                        }
                        a.apply(model);
                        adapterUsed = a;
                        trainable = a.trainableParameters();
                        String base = modelDir.toString();
                        writer = dir -> a.save(dir, base);
                        seeder = a::reseed;
                    }
                    case FULL -> {
                        model.namedParameters().values().forEach(p -> p.setTrainable(true));
                        trainable = model.trainableParameters();
                        writer = dir -> HfModelFolder.save(model, modelDir, dir);
                    }
                    case FREEZE -> {
                        trainable = FreezeTuning.apply(model, model.config().numHiddenLayers(), cfg.method());
                        writer = dir -> HfModelFolder.save(model, modelDir, dir);
                    }
                    default -> throw new FineTuneException("finetuning_type " + type.yamlName()
                            + " is not supported yet: use lora, freeze or full");
                }
                List<Parameter> added = recipe.addedParameters(cfg, model);
                if (!added.isEmpty()) {
                    trainable = new ArrayList<>(trainable);
                    trainable.addAll(added);
                    TrainingLoop.WeightsWriter modelWeights = writer;
                    writer = dir -> {
                        modelWeights.save(dir);
                        recipe.saveAddedWeights(dir);
                    };
                }
                if (trainable.isEmpty()) {
                    throw new FineTuneException("nothing to train: no parameter is trainable (check lora_target "
                            + cfg.method().loraTarget() + ")");
                }
                TrainingRun run = new TrainingRun(cfg, model, adapterUsed, tokenizer, chat, data, loss, trainable);
                List<TrainingListener> all = new ArrayList<>(listeners);
                Path out = cfg.training().outputDir();
                Adapter hooks = adapterUsed;
                if (hooks != null) {
                    all.add(0, new TrainingListener() {
                        @Override
                        public void onTrainBegin(TrainingPlan plan) {
                            try {
                                hooks.beforeTraining(out, modelDir.toString(), cfg.method(), resume != null);
                            } catch (IOException e) {
                                throw new UncheckedIOException(e);
                            }
                        }
                    });
                }
                TrainingSummary summary = new TrainingLoop(run, recipe, all, writer, seeder).run();
                if (hooks != null) {
                    hooks.afterTraining(out, modelDir.toString(), cfg.method());
                }
                HfModelFolder.copyTokenizerFiles(modelDir, cfg.training().outputDir());
                LOG.info("wrote {}", cfg.training().outputDir());
                return new FineTuneResult(cfg.training().outputDir(), summary, cfg);
            }
        }

        private EncodedDataset encodeTraining(FineTuneConfig cfg, DatasetEncoder encoder) throws IOException {
            Path tokenized = cfg.data().tokenizedPath();
            if (tokenized != null) {
                Stage stage = cfg.method().stage();
                if (stage != Stage.SFT && stage != Stage.PT) {
                    throw new FineTuneException("tokenized_path holds input_ids/labels rows, which only stages sft "
                            + "and pt use; remove tokenized_path for stage " + stage.yamlName());
                }
                List<EncodedExample> rows = TokenizedJsonl.read(tokenized);
                return new EncodedDataset(stage, rows, List.of(), List.of(), List.of(), 0);
            }
            List<DatasetSource> all = new ArrayList<>(sources);
            if (!cfg.data().datasets().isEmpty()) {
                all.add(registry(cfg, cfg.data().datasets()));
            }
            for (DatasetSource s : all) {
                StageExamples.check(cfg.method().stage(), s);
            }
            if (cfg.method().stage() == Stage.PPO) {
                return PromptEncoding.encode(concat(all), encoder);
            }
            return encoder.encode(concat(all));
        }

        private static DatasetSource registry(FineTuneConfig cfg, List<String> names) {
            return DatasetRegistries.open(cfg.data().datasetDir(), names, DatasetOptions.DEFAULTS
                    .withMaxSamples(cfg.data().maxSamples()).withSeed(cfg.training().seed()));
        }

        private static DatasetSource concat(List<DatasetSource> parts) {
            if (parts.size() == 1) {
                return parts.get(0);
            }
            return new DatasetSource() {
                @Override
                public String description() {
                    return String.join(" + ", parts.stream().map(DatasetSource::description).toList());
                }

                @Override
                public Stream<Example> open() throws IOException {
                    Stream<Example> s = Stream.empty();
                    for (DatasetSource p : parts) {
                        Stream<Example> next = p.open();
                        Stream<Example> prev = s;
                        s = Stream.concat(prev, next);
                    }
                    return s;
                }
            };
        }

        private static void checkInputs(FineTuneConfig cfg) {
            Path model = cfg.model().modelNameOrPath();
            if (!Files.isDirectory(model)) {
                throw new FineTuneException("model folder " + model + " does not exist: set model_name_or_path "
                        + "(builder: .model(Path)) to a downloaded HuggingFace checkpoint folder");
            }
            if (!Files.isRegularFile(model.resolve("config.json"))) {
                throw new FineTuneException("model folder " + model + " has no config.json: point model_name_or_path "
                        + "at the folder that holds config.json, the safetensors weights and the tokenizer files");
            }
            Path adapterDir = cfg.model().adapterNameOrPath();
            if (adapterDir != null && !Files.isRegularFile(adapterDir.resolve("adapter_config.json"))) {
                throw new FineTuneException("adapter_name_or_path " + adapterDir + " is not a PEFT adapter folder "
                        + "(no adapter_config.json)");
            }
            Path tokenized = cfg.data().tokenizedPath();
            if (tokenized != null && !Files.isRegularFile(tokenized)) {
                throw new FineTuneException("tokenized_path " + tokenized + " does not exist: write it with "
                        + "finetune preprocess, or remove tokenized_path");
            }
            Path resume = cfg.training().resumeFromCheckpoint();
            if (resume != null && !Files.isDirectory(resume)) {
                throw new FineTuneException("resume_from_checkpoint " + resume + " does not exist");
            }
            Path reward = cfg.preference().rewardModel();
            if (cfg.method().stage() == Stage.PPO) {
                if (!Files.isDirectory(reward)) {
                    throw new FineTuneException("reward_model " + reward + " does not exist: train one with stage: rm");
                }
                if (resume != null) {
                    throw new FineTuneException("stage ppo cannot resume_from_checkpoint yet (nor can LLaMA-Factory):"
                            + " start a new run, with adapter_name_or_path to continue a saved adapter");
                }
                if (cfg.data().valSize() > 0 || !cfg.data().evalDatasets().isEmpty()) {
                    throw new FineTuneException("stage ppo has no evaluation (as in LLaMA-Factory): remove val_size "
                            + "and eval_dataset");
                }
            }
        }
    }
}
