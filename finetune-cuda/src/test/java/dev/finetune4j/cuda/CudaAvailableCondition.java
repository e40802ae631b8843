package dev.finetune4j.cuda;

import dev.finetune4j.cuda.CudaStatus.State;
import java.util.EnumSet;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Enables {@link GpuTest}s only where the CUDA backend can start ({@link CudaProbe}, which loads no part of ND4J);
 * elsewhere they are skipped with the reason. Under {@code -Pcuda} (system property
 * {@code finetune4j.test.cudaProfile=true}) a backend missing from the classpath means the profile is broken:
 * that fails instead of skipping.
 */
public final class CudaAvailableCondition implements ExecutionCondition {
    private static final EnumSet<State> NOT_ON_CLASSPATH = EnumSet.of(State.NO_BACKEND, State.NO_NATIVES,
            State.NO_CUDA_BINDINGS);

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        CudaStatus status = CudaDeviceSupport.cudaStatus(true);
        if (status.usable()) {
            return ConditionEvaluationResult.enabled("CUDA " + status.summary());
        }
        if (NOT_ON_CLASSPATH.contains(status.state())) {
            if (Boolean.getBoolean("finetune4j.test.cudaProfile")) {
                throw new IllegalStateException("-Pcuda is active but the CUDA backend is incomplete: " + status.summary());
            }
            return ConditionEvaluationResult.disabled("skipped: no CUDA backend on the classpath (run with -Pcuda): "
                    + status.summary());
        }
        if (status.state() == State.UNSUPPORTED_GPU) {
            return ConditionEvaluationResult.disabled("skipped: GPU not supported by the ND4J CUDA natives: "
                    + status.summary());
        }
        return ConditionEvaluationResult.disabled("skipped: no visible GPU: " + status.summary());
    }
}
