package dev.finetune4j.cli;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.cuda.CudaDeviceSupport;
import dev.finetune4j.device.ActiveDevice;
import dev.finetune4j.device.DeviceSpec;
import dev.finetune4j.device.Devices;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code finetune env}: what a bug report needs — backend, device, cores, memory, versions. */
@Command(name = "env", mixinStandardHelpOptions = true,
        description = "Print the backend, device, cores, memory and versions (what a bug report needs).")
final class EnvCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--device", defaultValue = "auto", paramLabel = "DEVICE", converter = DeviceConverter.class,
            description = "Device to start ND4J on: auto (CUDA when usable, else the CPU), cpu, cuda or cuda:N."
                    + " Default: ${DEFAULT-VALUE}.")
    DeviceSpec device;

    @Override
    public Integer call() {
        ActiveDevice active = Devices.activate(device); // before anything touches Nd4j
        PrintWriter out = spec.commandLine().getOut();
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("finetune4j", new FinetuneCli.Version().getVersion()[0].replace("finetune4j ", ""));
        facts.put("java", System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")");
        facts.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        facts.put("cores", String.valueOf(Runtime.getRuntime().availableProcessors()));
        facts.put("heap max", mb(Runtime.getRuntime().maxMemory()));
        long physical = physicalMemory();
        facts.put("memory", physical > 0 ? mb(physical) : "unknown");
        facts.put("backend", active.backend());
        facts.put("nd4j", Nd4j.class.getPackage().getImplementationVersion() == null
                ? "1.0.0-M2.1" : Nd4j.class.getPackage().getImplementationVersion());
        if (active.isCuda()) {
            facts.put("device", active.device() + " (" + active.name() + ", compute capability "
                    + active.computeCapability() + ")");
            facts.put("device memory", mb(active.totalMemoryBytes()) + " total, " + mb(active.freeMemoryBytes()) + " free");
        } else {
            facts.put("device", active.device() + " (" + active.name() + ")");
        }
        // asking for the CPU loads nothing of CUDA: then only what is on the classpath is reported
        facts.put("cuda", CudaDeviceSupport.cudaStatus(device.kind() != DeviceSpec.Kind.CPU).summary());
        facts.put("OMP_NUM_THREADS", String.valueOf(System.getenv("OMP_NUM_THREADS")));
        facts.put("OMP_WAIT_POLICY", String.valueOf(System.getenv("OMP_WAIT_POLICY")));
        facts.forEach((k, v) -> out.printf("%-16s %s%n", k + ":", v));
        out.flush();
        return 0;
    }

    private static String mb(long bytes) {
        return bytes < 0 ? "unknown" : (bytes / (1024 * 1024)) + " MB";
    }

    private static long physicalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return -1;
    }

    /** {@code --device} text to a {@link DeviceSpec}; a bad value is a usage error (exit 2). */
    static final class DeviceConverter implements CommandLine.ITypeConverter<DeviceSpec> {
        @Override
        public DeviceSpec convert(String value) {
            try {
                return DeviceSpec.parse(value);
            } catch (FineTuneException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
