package dev.finetune4j.train.stages;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.finetune4j.adapter.Adapter;
import dev.finetune4j.adapter.Adapters;
import dev.finetune4j.config.FineTuneConfig;
import dev.finetune4j.config.PreferenceLoss;
import dev.finetune4j.config.Stage;
import dev.finetune4j.data.DatasetOptions;
import dev.finetune4j.data.DatasetRegistries;
import dev.finetune4j.encoding.DatasetEncoder;
import dev.finetune4j.encoding.EncodedDataset;
import dev.finetune4j.encoding.Encoders;
import dev.finetune4j.encoding.EncodingConfig;
import dev.finetune4j.model.CausalLM;
import dev.finetune4j.model.ModelOptions;
import dev.finetune4j.nn.Parameter;
import dev.finetune4j.template.ChatTemplate;
import dev.finetune4j.template.ChatTemplates;
import dev.finetune4j.testing.GradientCheck;
import dev.finetune4j.tokenizer.Tokenizer;
import dev.finetune4j.tokenizer.Tokenizers;
import dev.finetune4j.train.Loss;
import dev.finetune4j.train.Trainer;
import dev.finetune4j.train.TrainingRun;
import dev.finetune4j.train.data.TrainingData;
import dev.finetune4j.train.recipes.Recipes;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The recipes' gradients are the derivatives of their step losses: a LoRA model in DOUBLE with random adapter
 * weights (so the policy differs from its reference), a step of two micro-batches (accumulation scaling
 * included), central differences of the step loss against what {@code step} accumulated.
 */
class StageGradientTest {
    @TempDir
    static Path shared;
    static Path model;

    @BeforeAll
    static void tinyModel() throws Exception {
        model = PreferenceFixtures.writeModel(shared.resolve("model"));
    }

    @Test
    void dpoSigmoid() throws Exception {
        check(Stage.DPO, "dpo_en_demo", c -> c.prefLoss(PreferenceLoss.SIGMOID).prefBeta(0.5).prefFtx(0.3));
    }

    @Test
    void simpo() throws Exception {
        check(Stage.DPO, "dpo_en_demo", c -> c.prefLoss(PreferenceLoss.SIMPO).prefBeta(2.0));
    }

    /** The reward model: the value head's weight and bias are the last two trainable parameters. */
    @Test
    void rewardModel() throws Exception {
        Trainer.StepResult r = check(Stage.RM, "dpo_en_demo", c -> { });
        assertEquals(java.util.Set.of("accuracy"), r.metrics().keySet());
    }

    /**
     * KTO's KL term z is detached (TRL), so the step loss's true derivative differs from the trained gradient
     * wherever z > 0; here z is clamped at 0 (the mismatched answers are less likely under the random adapter than
     * under the base), where the two agree.
     */
    @Test
    void kto() throws Exception {
        Trainer.StepResult r = check(Stage.KTO, "kto_en_demo",
                c -> c.prefBeta(0.5).ktoRejectedWeight(1.5).prefFtx(0.2));
        assertEquals(0.0, r.metrics().get("kl"));
    }

    /** One step of {@code stage}'s recipe over two micro-batches of one row each; grads vs central differences. */
    static Trainer.StepResult check(Stage stage, String dataset, Consumer<FineTuneConfig.Builder> settings) throws Exception {
        FineTuneConfig.Builder b = FineTuneConfig.builder().modelNameOrPath(model).outputDir(shared.resolve("out"))
                .dataset(dataset).datasetDir(PreferenceFixtures.datasetDir()).template("qwen").stage(stage)
                .cutoffLen(24).loraRank(2).loraAlpha(4).loraDropout(0.0);
        settings.accept(b);
        FineTuneConfig cfg = b.build();
        try (Tokenizer tok = Tokenizers.load(model);
             CausalLM m = CausalLM.load(model, ModelOptions.defaults().withDtype(DataType.DOUBLE))) {
            ChatTemplate template = ChatTemplates.get("qwen");
            DatasetEncoder enc = Encoders.create(tok, template,
                    EncodingConfig.builder().stage(stage).cutoffLen(24).build());
            EncodedDataset encoded = enc.encode(DatasetRegistries.open(PreferenceFixtures.datasetDir(),
                    List.of(dataset), DatasetOptions.DEFAULTS.withMaxSamples(2)));
            TrainingData data = TrainingData.of(enc, encoded, null, 0, 1, 2, 1, false);
            Adapter lora = Adapters.create(cfg.method(), 3);
            lora.apply(m);
            Nd4j.getRandom().setSeed(5);
            for (Parameter p : lora.trainableParameters()) {
                p.value().assign(Nd4j.randn(DataType.DOUBLE, p.value().shape()).muli(0.3));
            }
            Trainer trainer = Recipes.forStage(stage);
            List<Parameter> trainable = new java.util.ArrayList<>(lora.trainableParameters());
            trainable.addAll(trainer.addedParameters(cfg, m));
            TrainingRun run = new TrainingRun(cfg, m, lora, tok, template, data, Loss.crossEntropy(), trainable);
            List<int[]> window = data.step(0, 0);
            trainable.forEach(Parameter::zeroGrad);
            Trainer.StepResult result = trainer.step(run, window);
            List<Parameter> checked = List.of(trainable.get(0), trainable.get(1), trainable.get(trainable.size() - 2),
                    trainable.get(trainable.size() - 1));
            List<org.nd4j.linalg.api.ndarray.INDArray> grads = checked.stream().map(p -> p.grad().dup()).toList();
            for (int i = 0; i < checked.size(); i++) {
                Parameter p = checked.get(i);
                var analytic = grads.get(i);
                GradientCheck.check(p.name(), () -> {
                    double loss = trainer.step(run, window).loss();
                    trainable.forEach(Parameter::zeroGrad);
                    return loss;
                }, p.value(), analytic, 6, 1e-5, 1e-9);
            }
            return result;
        }
    }
}
