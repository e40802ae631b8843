package dev.finetune4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune4j.FineTuneException;
import dev.finetune4j.config.TrainingSettings;
import dev.finetune4j.io.AtomicFiles;
import dev.finetune4j.nn.NativeMemory;
import dev.finetune4j.nn.Parameter;
import dev.finetune4j.train.checkpoint.CheckpointFolders;
import dev.finetune4j.train.data.TrainingData;
import dev.finetune4j.train.optim.AdamW;
import dev.finetune4j.train.optim.GradientClipping;
import dev.finetune4j.train.optim.LearningRateSchedule;
import dev.finetune4j.train.optim.OptimizerGroups;
import dev.finetune4j.train.report.LossPlot;
import dev.finetune4j.train.report.TrainerLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The optimisation loop shared by every stage, with HuggingFace Trainer semantics: optimizer steps over
 * accumulation windows of micro-batches (the recipe normalises the loss by the label tokens of the whole window),
 * global-norm clipping, AdamW, the learning-rate schedule, {@code trainer_log.jsonl} every {@code logging_steps},
 * evaluation, {@code checkpoint-N} folders every {@code save_steps}, and resume from a checkpoint that continues the
 * same run step for step.
 *
 * <p>Read it top to bottom in {@link #run}; the recipe ({@link Trainer#step}) is the only stage-specific part.
 */
public final class TrainingLoop {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingLoop.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** What a checkpoint holds besides the trained weights and the optimizer. */
    public static final String STATE_FILE = "trainer_state.json";
    public static final String RESULTS_FILE = "train_results.json";
    public static final String LOSS_PLOT = "training_loss.png";
    public static final String EVAL_LOSS_PLOT = "training_eval_loss.png";

    /**
     * How the trained weights are written into a folder: the adapter, or the whole model. (A resumed run builds its
     * adapter or model from the checkpoint folder before the loop starts; the loop restores the optimizer and its own
     * position.)
     */
    @FunctionalInterface
    public interface WeightsWriter {
        void save(Path dir) throws IOException;
    }

    /** Called before each optimizer step with a seed derived from the run seed and the step (dropout masks). */
    @FunctionalInterface
    public interface StepSeeder {
        void reseed(long seed);
    }

    private final TrainingRun run;
    private final Trainer trainer;
    private final List<TrainingListener> listeners;
    private final WeightsWriter weights;
    private final StepSeeder seeder;
    private final TrainingSettings settings;

    public TrainingLoop(TrainingRun run, Trainer trainer, List<TrainingListener> listeners, WeightsWriter weights,
                        StepSeeder seeder) {
        this.run = run;
        this.trainer = trainer;
        this.listeners = List.copyOf(listeners);
        this.weights = weights;
        this.seeder = seeder;
        this.settings = run.config().training();
    }

    /** The number of optimizer steps of the run: {@code max_steps}, else {@code ceil(epochs · steps per epoch)}. */
    public static long totalSteps(TrainingSettings t, TrainingData data) {
        return t.maxSteps() > 0 ? t.maxSteps() : (long) Math.ceil(t.numTrainEpochs() * data.stepsPerEpoch());
    }

    public TrainingSummary run() throws IOException {
        TrainingData data = run.data();
        Path out = settings.outputDir();
        long totalSteps = totalSteps(settings, data);
        int stepsPerEpoch = data.stepsPerEpoch();
        LearningRateSchedule schedule = LearningRateSchedule.of(settings.lrSchedulerType(), settings.learningRate(),
                Math.toIntExact(totalSteps), settings.warmupSteps(), settings.warmupRatio());
        List<Parameter> trainable = run.trainable();
        AdamW optimizer = new AdamW(OptimizerGroups.of(run.config().method(), trainable, settings.learningRate(),
                settings.weightDecay()),
                new AdamW.Settings(settings.adamBeta1(), settings.adamBeta2(), settings.adamEpsilon()));
        TrainerLog log = new TrainerLog(out);
        CheckpointFolders checkpoints = new CheckpointFolders(out);

        // --- where the run starts: fresh, or from a checkpoint ---
        State state = new State();
        Path resume = settings.resumeFromCheckpoint();
        if (resume != null) {
            state = restore(resume, optimizer, data);
            log.truncateAfter(state.globalStep);
            LOG.info("resuming from {} at step {} of {}", resume, state.globalStep, totalSteps);
        } else {
            prepareOutputDir(out);
            log.reset();
        }
        long trainableCount = trainable.stream().mapToLong(Parameter::numel).sum();
        long totalCount = run.model().namedParameters().values().stream().mapToLong(Parameter::numel).sum();
        TrainingListener.TrainingPlan plan = new TrainingListener.TrainingPlan(totalSteps,
                (double) totalSteps / stepsPerEpoch, data.trainRows(), data.evalRows(), trainableCount, totalCount,
                state.globalStep);
        LOG.info("training {} steps ({} per epoch), {} training rows, {} evaluation rows, {} of {} parameters train",
                totalSteps, stepsPerEpoch, data.trainRows(), data.evalRows(), trainableCount, totalCount);
        listeners.forEach(l -> l.onTrainBegin(plan));

        long startNanos = System.nanoTime();
        long runStartStep = state.globalStep;
        double runLossSum = 0;
        for (long step = state.globalStep; step < totalSteps; step++) {
            // one optimizer step: the recipe's forward/backward over the window, then clip, AdamW, schedule
            int epoch = (int) (step / stepsPerEpoch);
            List<int[]> window = data.step(epoch, (int) (step % stepsPerEpoch));
            optimizer.zeroGrad();
            seeder.reseed(settings.seed() * 1_000_003L + step);
            double lr = schedule.lr((int) step);
            Trainer.StepResult r = trainer.step(run, window, () -> {
                double norm = GradientClipping.clip(trainable, settings.maxGradNorm());
                optimizer.step(lr);
                optimizer.zeroGrad();
                return norm;
            });
            if (!Double.isFinite(r.loss())) {
                throw new FineTuneException("the loss is " + r.loss() + " at step " + (step + 1)
                        + ": lower learning_rate or check the data");
            }
            double gradNorm = GradientClipping.clip(trainable, settings.maxGradNorm());
            optimizer.step(lr);

            state.globalStep = step + 1;
            state.totalTokens += r.tokens();
            state.lossSum += r.loss();
            runLossSum += r.loss();
            state.windowLoss += r.loss();
            state.windowSteps++;
            for (Map.Entry<String, Double> m : r.metrics().entrySet()) {
                state.windowMetrics.merge(m.getKey(), m.getValue(), Double::sum);
                state.windowMetricSteps.merge(m.getKey(), 1, Integer::sum);
            }
            double elapsed = state.elapsedBefore + (System.nanoTime() - startNanos) / 1e9;
            for (TrainingListener l : listeners) {
                l.onStep(state.globalStep, totalSteps, r.loss(), lr, state.totalTokens);
            }

            boolean last = state.globalStep == totalSteps;
            if (state.globalStep % settings.loggingSteps() == 0 || last) {
                Map<String, Double> metrics = new LinkedHashMap<>();
                int n = state.windowSteps;
                for (Map.Entry<String, Double> m : state.windowMetrics.entrySet()) {
                    // the mean over the steps that reported it (a KTO step without undesirable rows has no
                    // rewards/rejected)
                    metrics.put(m.getKey(), m.getValue() / state.windowMetricSteps.get(m.getKey()));
                }
                double thisRun = (System.nanoTime() - startNanos) / 1e9; // a resumed run's earlier time does not count
                double remaining = thisRun / (state.globalStep - runStartStep) * (totalSteps - state.globalStep);
                StepLog line = new StepLog(state.globalStep, totalSteps, state.windowLoss / n, null,
                        schedule.lr((int) Math.min(state.globalStep, totalSteps)),
                        (double) state.globalStep / stepsPerEpoch, elapsed, remaining, state.totalTokens, gradNorm,
                        metrics);
                log.append(line);
                listeners.forEach(l -> l.onLog(line));
                LOG.info("step {}/{}: loss {} lr {} grad_norm {}", state.globalStep, totalSteps,
                        String.format("%.4f", state.windowLoss / n), String.format("%.3g", lr),
                        String.format("%.3f", gradNorm));
                state.windowLoss = 0;
                state.windowSteps = 0;
                state.windowMetrics.clear();
                state.windowMetricSteps.clear();
            }
            boolean epochEnd = state.globalStep % stepsPerEpoch == 0;
            if (data.evalRows() > 0 && (("steps".equals(settings.evalStrategy())
                    && state.globalStep % settings.evalSteps() == 0)
                    || ("epoch".equals(settings.evalStrategy()) && epochEnd))) {
                evaluate(state, totalSteps, stepsPerEpoch, elapsed, log, schedule);
            }
            if (state.globalStep % settings.saveSteps() == 0 && !last) {
                // the checkpoint records the time so far; this run keeps counting from its own start
                double before = state.elapsedBefore;
                state.elapsedBefore = elapsed;
                saveCheckpoint(checkpoints, state, optimizer);
                state.elapsedBefore = before;
            }
        }

        // --- the end: final weights, results, plot ---
        double runtime = state.elapsedBefore + (System.nanoTime() - startNanos) / 1e9;
        Double finalEval = null;
        if (data.evalRows() > 0) {
            finalEval = evaluate(state, totalSteps, stepsPerEpoch, runtime, log, schedule);
        }
        weights.save(out);
        long stepsThisRun = state.globalStep - runStartStep;
        TrainingSummary summary = new TrainingSummary(out, state.globalStep, (double) state.globalStep / stepsPerEpoch,
                runtime, state.globalStep == 0 ? 0 : state.lossSum / state.globalStep, finalEval,
                (long) Math.ceil((double) state.globalStep / stepsPerEpoch * data.trainRows()), state.totalTokens,
                NativeMemory.peakResidentBytes());
        writeResults(out, summary);
        if (settings.plotLoss()) {
            plot(log, out);
        }
        LOG.info("trained {} steps in {} s (mean loss {} this run)", stepsThisRun, String.format("%.1f", runtime),
                stepsThisRun == 0 ? "n/a" : String.format("%.4f", runLossSum / stepsThisRun));
        listeners.forEach(l -> l.onTrainEnd(summary));
        return summary;
    }

    private Double evaluate(State state, long totalSteps, int stepsPerEpoch, double elapsed, TrainerLog log,
                            LearningRateSchedule schedule) throws IOException {
        double evalLoss = trainer.evaluate(run);
        StepLog line = new StepLog(state.globalStep, totalSteps, null, evalLoss,
                schedule.lr((int) Math.min(state.globalStep, totalSteps)), (double) state.globalStep / stepsPerEpoch,
                elapsed, 0, state.totalTokens, Double.NaN, Map.of());
        log.append(line);
        listeners.forEach(l -> l.onLog(line));
        LOG.info("step {}: eval_loss {}", state.globalStep, String.format("%.4f", evalLoss));
        return evalLoss;
    }

    // ------------------------------------------------------------------------------------------ files

    /** HF's rule: an existing, non-empty output folder needs {@code overwrite_output_dir} (or a resume). */
    private void prepareOutputDir(Path out) throws IOException {
        if (Files.isDirectory(out)) {
            try (var s = Files.list(out)) {
                if (s.findAny().isPresent() && !settings.overwriteOutputDir()) {
                    throw new FineTuneException("output_dir " + out + " already exists and is not empty: set "
                            + "overwrite_output_dir: true, choose another folder, or resume_from_checkpoint");
                }
            }
        }
        Files.createDirectories(out);
    }

    private void saveCheckpoint(CheckpointFolders checkpoints, State state, AdamW optimizer) throws IOException {
        Path dir = checkpoints.save(state.globalStep, d -> {
            weights.save(d);
            if (!settings.saveOnlyModel()) {
                optimizer.save(d);
            }
            AtomicFiles.writeString(d.resolve(STATE_FILE), JSON.writerWithDefaultPrettyPrinter()
                    .writeValueAsString(state.toJson(run.data())));
        });
        if (settings.saveTotalLimit() != null) {
            checkpoints.rotate(settings.saveTotalLimit());
        }
        LOG.info("saved {}", dir);
        listeners.forEach(l -> l.onCheckpoint(state.globalStep, dir));
    }

    private State restore(Path checkpoint, AdamW optimizer, TrainingData data) throws IOException {
        Path stateFile = checkpoint.resolve(STATE_FILE);
        if (!Files.isRegularFile(stateFile)) {
            throw new FineTuneException("resume_from_checkpoint " + checkpoint + " is not a checkpoint folder (no "
                    + STATE_FILE + ")");
        }
        State s = State.fromJson(JSON.readTree(stateFile.toFile()), checkpoint, data);
        if (Files.exists(checkpoint.resolve(AdamW.STATE_FILE))) {
            optimizer.load(checkpoint);
        } else {
            LOG.warn("{} has no optimizer state (save_only_model): AdamW restarts from zero moments", checkpoint);
        }
        Files.createDirectories(settings.outputDir());
        return s;
    }

    private static void writeResults(Path out, TrainingSummary s) throws IOException {
        ObjectNode o = JSON.createObjectNode();
        o.put("epoch", s.epochs());
        o.put("total_steps", s.globalSteps());
        o.put("train_loss", s.trainLoss());
        o.put("train_runtime", Math.round(s.trainRuntimeSeconds() * 1000) / 1000.0);
        o.put("train_samples_per_second", Math.round(s.samplesPerSecond() * 1000) / 1000.0);
        o.put("train_steps_per_second", Math.round(s.stepsPerSecond() * 1000) / 1000.0);
        o.put("train_tokens", s.totalTokens());
        o.put("effective_tokens_per_sec", Math.round(s.tokensPerSecond() * 100) / 100.0);
        if (s.finalEvalLoss() != null) {
            o.put("eval_loss", s.finalEvalLoss());
        }
        if (s.peakRssBytes() > 0) {
            o.put("peak_rss_mb", s.peakRssBytes() / (1024 * 1024));
        }
        AtomicFiles.writeString(out.resolve(RESULTS_FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o));
    }

    private static void plot(TrainerLog log, Path out) throws IOException {
        List<LossPlot.Point> train = new ArrayList<>();
        List<LossPlot.Point> eval = new ArrayList<>();
        for (JsonNode n : log.read()) {
            long step = n.path("current_steps").asLong();
            if (n.has("loss")) {
                train.add(new LossPlot.Point(step, n.get("loss").asDouble()));
            }
            if (n.has("eval_loss")) {
                eval.add(new LossPlot.Point(step, n.get("eval_loss").asDouble()));
            }
        }
        if (!train.isEmpty()) {
            LossPlot.write(out.resolve(LOSS_PLOT), "training loss of " + out.getFileName(), train);
        }
        if (eval.size() > 1) {
            LossPlot.write(out.resolve(EVAL_LOSS_PLOT), "evaluation loss of " + out.getFileName(), eval);
        }
    }

    /** The run's position and running sums: what a checkpoint must hold to continue step for step. */
    private static final class State {
        long globalStep;
        long totalTokens;
        double lossSum;
        double elapsedBefore;
        double windowLoss;
        int windowSteps;
        final Map<String, Double> windowMetrics = new LinkedHashMap<>();
        final Map<String, Integer> windowMetricSteps = new LinkedHashMap<>();

        ObjectNode toJson(TrainingData data) {
            ObjectNode o = JSON.createObjectNode();
            o.put("global_step", globalStep);
            o.put("epoch", (double) globalStep / data.stepsPerEpoch());
            o.put("total_tokens", totalTokens);
            o.put("loss_sum", lossSum);
            o.put("elapsed_seconds", elapsedBefore);
            o.put("window_loss", windowLoss);
            o.put("window_steps", windowSteps);
            ObjectNode m = o.putObject("window_metrics");
            windowMetrics.forEach(m::put);
            ObjectNode c = o.putObject("window_metric_steps");
            windowMetricSteps.forEach(c::put);
            o.put("train_rows", data.trainRows());
            o.put("steps_per_epoch", data.stepsPerEpoch());
            return o;
        }

        static State fromJson(JsonNode n, Path where, TrainingData data) {
            State s = new State();
            s.globalStep = n.path("global_step").asLong();
            s.totalTokens = n.path("total_tokens").asLong();
            s.lossSum = n.path("loss_sum").asDouble();
            s.elapsedBefore = n.path("elapsed_seconds").asDouble();
            s.windowLoss = n.path("window_loss").asDouble();
            s.windowSteps = n.path("window_steps").asInt();
            n.path("window_metrics").fields().forEachRemaining(e -> s.windowMetrics.put(e.getKey(),
                    e.getValue().asDouble()));
            JsonNode steps = n.path("window_metric_steps");
            s.windowMetrics.keySet().forEach(k -> s.windowMetricSteps.put(k,
                    steps.has(k) ? steps.get(k).asInt() : s.windowSteps));
            if (n.path("train_rows").asInt() != data.trainRows()
                    || n.path("steps_per_epoch").asInt() != data.stepsPerEpoch()) {
                throw new FineTuneException(where + " was written for " + n.path("train_rows").asInt()
                        + " training rows in " + n.path("steps_per_epoch").asInt() + " steps per epoch, but this run "
                        + "has " + data.trainRows() + " rows in " + data.stepsPerEpoch() + ": resume with the same "
                        + "dataset, cutoff_len, batch size and gradient accumulation");
            }
            return s;
        }
    }
}
