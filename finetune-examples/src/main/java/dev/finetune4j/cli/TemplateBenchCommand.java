package dev.finetune4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.FineTuneException;
import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.EncodedExample;
import dev.finetune4j.data.Message;
import dev.finetune4j.encoding.DatasetEncoder;
import dev.finetune4j.encoding.EncodingConfig;
import dev.finetune4j.encoding.Encoders;
import dev.finetune4j.tokenizer.Tokenizer;
import dev.finetune4j.tokenizer.Tokenizers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Hidden benchmark: chat template + tokenization speed (SFT encoding with labels) of an Alpaca file, e.g.
 * {@code ./finetune bench-templates --model ../shared/fixtures/tokenizers/qwen3
 * --dataset ../shared/data/llamafactory/alpaca_en_demo.json --template qwen3 --threads 2}. Prints one JSON line.
 */
@Command(name = "bench-templates", hidden = true, mixinStandardHelpOptions = true,
        description = "Measure template + tokenization speed (examples/s) on an Alpaca JSON file.")
final class TemplateBenchCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Model folder with tokenizer.json.")
    Path model;

    @Option(names = "--dataset", required = true, description = "Alpaca JSON file (instruction/input/output).")
    Path dataset;

    @Option(names = "--template", defaultValue = "qwen3", description = "Template name (default ${DEFAULT-VALUE}).")
    String template;

    @Option(names = "--cutoff-len", defaultValue = "2048")
    int cutoffLen;

    @Option(names = "--rounds", defaultValue = "5", description = "Timed passes over the file (after 2 warm-up passes).")
    int rounds;

    @Option(names = "--threads", defaultValue = "1", description = "Encoding threads.")
    int threads;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    static List<Conversation> readAlpaca(Path file) throws java.io.IOException {
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        if (!root.isArray()) {
            throw new FineTuneException(file + ": expected a JSON array of Alpaca records");
        }
        List<Conversation> out = new ArrayList<>();
        for (JsonNode r : root) {
            String instruction = r.path("instruction").asText("");
            String input = r.path("input").asText("");
            String prompt = instruction.isEmpty() ? input : input.isEmpty() ? instruction : instruction + "\n" + input;
            out.add(Conversation.of(r.path("system").asText(""), List.of(Message.user(prompt),
                    Message.assistant(r.path("output").asText("")))));
        }
        return out;
    }

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(dataset)) {
            throw new FineTuneException("no such file: " + dataset);
        }
        List<Conversation> data = readAlpaca(dataset);
        try (Tokenizer tok = Tokenizers.load(model)) {
            DatasetEncoder enc = Encoders.create(tok, template, EncodingConfig.builder().cutoffLen(cutoffLen).build());
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                long tokens = 0;
                for (int w = 0; w < 2; w++) {
                    tokens = pass(enc, data, pool);
                }
                double[] secs = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    long t0 = System.nanoTime();
                    pass(enc, data, pool);
                    secs[r] = (System.nanoTime() - t0) / 1e9;
                }
                Arrays.sort(secs);
                double median = secs[rounds / 2];
                spec.commandLine().getOut().println(String.format(Locale.ROOT,
                        "{\"template\": \"%s\", \"examples\": %d, \"threads\": %d, \"examples_per_s\": %.0f, "
                                + "\"tokens_per_s\": %.0f, \"median_pass_s\": %.4f}",
                        template, data.size(), threads, data.size() / median, tokens / median, median));
            } finally {
                pool.shutdownNow();
            }
        }
        return 0;
    }

    /** Encodes every example once; returns the number of tokens. */
    private long pass(DatasetEncoder enc, List<Conversation> data, ExecutorService pool) throws Exception {
        int n = data.size();
        int per = (n + threads - 1) / threads;
        List<Future<Long>> parts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int from = Math.min(n, t * per);
            int to = Math.min(n, from + per);
            parts.add(pool.submit(() -> {
                long tokens = 0;
                for (int i = from; i < to; i++) {
                    tokens += enc.encodeSupervised(data.get(i)).map(EncodedExample::length).orElse(0);
                }
                return tokens;
            }));
        }
        long total = 0;
        for (Future<Long> f : parts) {
            total += f.get();
        }
        return total;
    }
}
