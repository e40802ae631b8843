package dev.finetune4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;

/** The skip reason a GPU test shows on this machine is the probe's, in words. */
class CudaAvailableConditionTest {

    @Test
    void theReasonMatchesTheProbe() {
        CudaStatus status = CudaDeviceSupport.cudaStatus(true);
        if (Boolean.getBoolean("finetune4j.test.cudaProfile") && !status.usable()) {
            return; // evaluated in the gpu-tests execution, where a missing backend throws instead
        }
        ConditionEvaluationResult r = new CudaAvailableCondition().evaluateExecutionCondition(null);
        assertEquals(status.usable(), !r.isDisabled());
        String reason = r.getReason().orElseThrow();
        assertTrue(reason.endsWith(status.summary()), reason);
        switch (status.state()) {
            case NO_BACKEND, NO_NATIVES, NO_CUDA_BINDINGS ->
                    assertTrue(reason.startsWith("skipped: no CUDA backend on the classpath (run with -Pcuda): "), reason);
            case UNSUPPORTED_GPU -> assertTrue(reason.startsWith("skipped: GPU not supported"), reason);
            case READY -> assertTrue(reason.startsWith("CUDA ready: "), reason);
            default -> assertTrue(reason.startsWith("skipped: no visible GPU: "), reason);
        }
    }
}
