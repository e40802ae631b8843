package dev.finetune4j.train.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune4j.io.AtomicFiles;
import dev.finetune4j.train.StepLog;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code trainer_log.jsonl}: one JSON object per logged step with LLaMA-Factory's keys ({@code current_steps},
 * {@code total_steps}, {@code loss}, {@code eval_loss}, {@code lr}, {@code epoch}, {@code percentage},
 * {@code elapsed_time}, {@code remaining_time}, {@code throughput}, {@code total_tokens}, plus
 * {@code grad_norm} and stage metrics such as {@code rewards/accuracies}). Each line is written with one call
 * and flushed, so the file holds whole lines only; on resume, {@link #truncateAfter} drops lines past the
 * checkpoint's step (rewriting the file atomically).
 */
public final class TrainerLog {
    public static final String FILE = "trainer_log.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;

    public TrainerLog(Path outputDir) {
        this.file = outputDir.resolve(FILE);
    }

    public Path file() {
        return file;
    }

    /** Starts a fresh log (a new run in this folder). */
    public void reset() throws IOException {
        Files.deleteIfExists(file);
    }

    public void append(StepLog log) throws IOException {
        byte[] line = (JSON.writeValueAsString(toJson(log)) + "\n").getBytes(StandardCharsets.UTF_8);
        Files.createDirectories(file.getParent());
        Files.write(file, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    }

    static ObjectNode toJson(StepLog log) {
        ObjectNode o = JSON.createObjectNode();
        o.put("current_steps", log.currentSteps());
        o.put("total_steps", log.totalSteps());
        if (log.loss() != null) {
            o.put("loss", round(log.loss(), 4));
        }
        if (log.evalLoss() != null) {
            o.put("eval_loss", round(log.evalLoss(), 4));
        }
        Double accuracy = log.metrics().get("rewards/accuracies");
        if (accuracy != null) {
            o.put("accuracy", accuracy);
        }
        o.put("lr", log.lr());
        o.put("epoch", round(log.epoch(), 4));
        o.put("percentage", log.percentage());
        o.put("elapsed_time", StepLog.formatDuration(log.elapsedSeconds()));
        o.put("remaining_time", StepLog.formatDuration(log.remainingSeconds()));
        o.put("throughput", round(log.throughput(), 2));
        o.put("total_tokens", log.totalTokens());
        if (!Double.isNaN(log.gradNorm())) {
            o.put("grad_norm", round(log.gradNorm(), 6));
        }
        for (Map.Entry<String, Double> m : log.metrics().entrySet()) {
            o.put(m.getKey(), m.getValue());
        }
        return o;
    }

    private static double round(double v, int digits) {
        if (!Double.isFinite(v)) {
            return v;
        }
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

    /** The logged lines, as JSON objects, in order. */
    public List<JsonNode> read() throws IOException {
        List<JsonNode> out = new ArrayList<>();
        if (!Files.exists(file)) {
            return out;
        }
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.isBlank()) {
                    out.add(JSON.readTree(line));
                }
            }
        }
        return out;
    }

    /** Keeps only the lines up to and including {@code step} (used when a run resumes from a checkpoint). */
    public void truncateAfter(long step) throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        StringBuilder kept = new StringBuilder();
        for (JsonNode n : read()) {
            if (n.path("current_steps").asLong() <= step) {
                kept.append(JSON.writeValueAsString(n)).append('\n');
            }
        }
        AtomicFiles.writeString(file, kept.toString());
    }
}
