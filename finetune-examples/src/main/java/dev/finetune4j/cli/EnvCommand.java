package dev.finetune4j.cli;

import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code finetune env}: what a bug report needs — backend, device, cores, memory, versions. */
@Command(name = "env", mixinStandardHelpOptions = true,
        description = "Print the backend, device, cores, memory and versions (what a bug report needs).")
final class EnvCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("finetune4j", new FinetuneCli.Version().getVersion()[0].replace("finetune4j ", ""));
        facts.put("java", System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")");
        facts.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        facts.put("cores", String.valueOf(Runtime.getRuntime().availableProcessors()));
        facts.put("heap max", mb(Runtime.getRuntime().maxMemory()));
        long physical = physicalMemory();
        facts.put("memory", physical > 0 ? mb(physical) : "unknown");
        facts.put("backend", Nd4j.getBackend().getClass().getSimpleName());
        facts.put("nd4j", Nd4j.class.getPackage().getImplementationVersion() == null
                ? "1.0.0-M2.1" : Nd4j.class.getPackage().getImplementationVersion());
        facts.put("device", "cpu");
        facts.put("OMP_NUM_THREADS", String.valueOf(System.getenv("OMP_NUM_THREADS")));
        facts.put("OMP_WAIT_POLICY", String.valueOf(System.getenv("OMP_WAIT_POLICY")));
        facts.forEach((k, v) -> out.printf("%-16s %s%n", k + ":", v));
        out.flush();
        return 0;
    }

    private static String mb(long bytes) {
        return (bytes / (1024 * 1024)) + " MB";
    }

    private static long physicalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return -1;
    }
}
