package dev.finetune4j.cuda;

import dev.finetune4j.device.DeviceSpec;
import dev.finetune4j.device.Devices;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.factory.Nd4j;

/** Run in a fresh JVM by {@link FreshJvmTest}: {@code plain} starts ND4J directly, {@code activate DEVICE} first. */
public final class ActivateAndReport {
    private ActivateAndReport() {
    }

    public static void main(String[] args) {
        if (args[0].equals("activate")) {
            Devices.activate(DeviceSpec.parse(args[1]));
        }
        System.out.println("backend=" + Nd4j.getBackend().getClass().getSimpleName());
        System.out.println("maxBytes=" + Pointer.maxBytes());
        System.out.println("maxPhysicalBytes=" + Pointer.maxPhysicalBytes());
    }
}
