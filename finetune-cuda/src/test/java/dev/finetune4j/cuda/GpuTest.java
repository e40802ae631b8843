package dev.finetune4j.cuda;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class that must hold on a GPU: tagged {@code gpu} (under {@code -Pcuda} these run in a JVM of
 * their own, since ND4J starts one backend per process) and skipped, with the reason, where CUDA is not usable.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag("gpu")
@ExtendWith(CudaAvailableCondition.class)
public @interface GpuTest {
}
