package dev.finetune4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune4j.datasets.Datasets;
import dev.finetune4j.datasets.ValidationReport;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Hidden benchmark: writes a SiliconFlow JSONL file of N generated conversations (seeded; system prompt, 1-3
 * user/assistant pairs, Chinese and English text) into a temporary folder, validates it with the streaming
 * reader, and prints one JSON line: {@code records}, {@code seconds}, {@code records_per_s}, {@code mb_per_s},
 * {@code peak_heap_mb} (peak of the heap pools during validation), {@code max_heap_mb}. Prove the memory claim with
 * {@code FINETUNE_JAVA_OPTS=-Xmx256m ./finetune bench-validate}.
 */
@Command(name = "bench-validate", hidden = true, mixinStandardHelpOptions = true,
        description = "Validate a generated SiliconFlow JSONL file; print records/s and peak heap as JSON.")
final class BenchValidateCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--records", defaultValue = "1000000", description = "Lines to generate. Default: ${DEFAULT-VALUE}.")
    int records;

    @Option(names = "--rounds", defaultValue = "1", description = "Validation passes (the best is reported).")
    int rounds;

    @Option(names = "--file", description = "Validate this file instead of generating one.")
    Path file;

    @Override
    public Integer call() throws Exception {
        Path dir = null;
        Path f = file;
        if (f == null) {
            dir = Files.createTempDirectory("bench-validate");
            f = dir.resolve("generated.jsonl");
            generate(f, records);
        }
        try {
            double best = Double.MAX_VALUE;
            ValidationReport report = null;
            for (int r = 0; r < Math.max(1, rounds); r++) {
                System.gc();
                for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
                    p.resetPeakUsage();
                }
                long t0 = System.nanoTime();
                report = Datasets.siliconFlow(f).validate(p -> { });
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
            }
            long peak = 0;
            for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
                if (p.getType() == MemoryType.HEAP) {
                    peak += p.getPeakUsage().getUsed();
                }
            }
            long bytes = Files.size(f);
            ObjectNode o = new ObjectMapper().createObjectNode();
            o.put("records", report.records());
            o.put("invalid", report.invalid());
            o.put("file_mb", Math.round(bytes / 1e6 * 10) / 10.0);
            o.put("seconds", Math.round(best * 1000) / 1000.0);
            o.put("records_per_s", Math.round(report.records() / best));
            o.put("mb_per_s", Math.round(bytes / 1e6 / best * 10) / 10.0);
            o.put("peak_heap_mb", Math.round(peak / 1e6 * 10) / 10.0);
            o.put("max_heap_mb", Math.round(Runtime.getRuntime().maxMemory() / 1e6));
            o.put("processors", Runtime.getRuntime().availableProcessors());
            spec.commandLine().getOut().println(o);
            spec.commandLine().getOut().flush();
            return report.invalid() == 0 ? 0 : 1;
        } finally {
            if (dir != null) {
                Files.deleteIfExists(f);
                Files.deleteIfExists(dir);
            }
        }
    }

    private static final String[] SYSTEMS = {"你是客服助手", "You are a helpful support assistant for an online shop."};
    private static final String[] QUESTIONS = {"如何修改收货地址?", "How do I change my delivery address?",
        "我的订单什么时候发货?", "Can I return an item after 30 days?", "What payment methods do you accept?"};
    private static final String[] ANSWERS = {"您可以按以下步骤修改:\n1. 进入订单详情\n2. 点击'修改地址'\n3. 保存修改",
        "Open the order page, click 'Edit address' and save.", "订单通常在24小时内发货,您可以在订单详情中查看物流信息。",
        "Returns are accepted within 30 days of delivery; after that, contact support for an exception.",
        "We accept credit cards, PayPal and bank transfer."};

    static void generate(Path f, int n) throws java.io.IOException {
        SplittableRandom rnd = new SplittableRandom(42);
        ObjectMapper m = new ObjectMapper();
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(f), 1 << 16)) {
            for (int i = 0; i < n; i++) {
                ObjectNode o = m.createObjectNode();
                var msgs = o.putArray("messages");
                msgs.addObject().put("role", "system").put("content", SYSTEMS[rnd.nextInt(SYSTEMS.length)]);
                int pairs = 1 + rnd.nextInt(3);
                for (int p = 0; p < pairs; p++) {
                    msgs.addObject().put("role", "user").put("content", QUESTIONS[rnd.nextInt(QUESTIONS.length)] + " #" + i);
                    msgs.addObject().put("role", "assistant").put("content", ANSWERS[rnd.nextInt(ANSWERS.length)]);
                }
                os.write(m.writeValueAsString(o).getBytes(StandardCharsets.UTF_8));
                os.write('\n');
            }
        }
    }
}
