package dev.finetune4j.device;

import java.util.Map;

/**
 * Service interface: binds ND4J to a device. {@code finetune-cuda} implements it (registered for
 * {@link java.util.ServiceLoader}); without it {@link Devices} can only run on the CPU. An implementation must
 * do its work before anything touches {@code Nd4j}, and must never start a backend that was not asked for.
 */
public interface DeviceSupport {

    /**
     * Chooses the ND4J backend for {@code device}, applies {@code settings} (backend-specific keys, documented by
     * the implementation) before the backend starts, starts it and reports what runs.
     *
     * @throws dev.finetune4j.FineTuneException with one line saying what is missing when the device cannot be used
     */
    ActiveDevice activate(DeviceSpec device, Precision precision, Map<String, String> settings);
}
