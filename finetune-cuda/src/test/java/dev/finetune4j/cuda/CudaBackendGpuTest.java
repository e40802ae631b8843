package dev.finetune4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.device.ActiveDevice;
import dev.finetune4j.device.DeviceSpec;
import dev.finetune4j.device.Devices;
import dev.finetune4j.nn.DenseLinear;
import dev.finetune4j.nn.DenseWeight;
import dev.finetune4j.nn.Parameter;
import dev.finetune4j.testing.GradientCheck;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** What must hold on a GPU: the CUDA backend runs, and it gives the reference numbers (as the CPU does). */
@GpuTest
class CudaBackendGpuTest {
    private static ActiveDevice gpu;

    @BeforeAll
    static void chooseTheGpu() {
        gpu = Devices.activate(DeviceSpec.CUDA);
    }

    @Test
    void nd4jRunsOnTheCudaBackendOnGpuZero() {
        assertEquals(DeviceSpec.cuda(0), gpu.device());
        assertEquals("JCublasBackend", gpu.backend());
        assertEquals(CudaProbe.BACKEND_CLASS, Nd4j.getBackend().getClass().getName());
        assertEquals(0, Nd4j.getAffinityManager().getDeviceForCurrentThread());
        assertFalse(gpu.name().isBlank());
        assertEquals(CudaDeviceSupport.cudaStatus(true).computeCapability(), gpu.computeCapability());
        assertTrue(gpu.totalMemoryBytes() > 0 && gpu.freeMemoryBytes() > 0
                && gpu.freeMemoryBytes() <= gpu.totalMemoryBytes(), gpu.toString());
        assertSame(gpu, Devices.activate(DeviceSpec.AUTO));
    }

    @Test
    void theCpuCannotBeChosenAnymore() {
        FineTuneException e = assertThrows(FineTuneException.class, () -> Devices.activate(DeviceSpec.CPU));
        assertEquals("device cpu: this process already runs ND4J on cuda:0; the device can be chosen once per process",
                e.getMessage());
    }

    /** libnd4jcuda never calls cublasSetMathMode, so cuBLAS sgemm is plain FP32 (no TF32): CPU-like accuracy. */
    @Test
    void gemmOnTheDeviceGivesTheReferenceNumbers() {
        LinearReference.checkGemm(DataType.FLOAT, 1e-4);
        LinearReference.checkGemm(DataType.DOUBLE, 1e-12);
    }

    @Test
    @SuppressWarnings("deprecation") // HALF: what ND4J 1.0.0-M2.1 uses, see Precision.FP16
    void halfGemmRunsOnTheDeviceToHalfPrecision() {
        assumeTrue(Integer.parseInt(gpu.computeCapability().split("\\.")[0]) >= 6, "cuBLAS fp16 needs 6.0+");
        // inputs in [-1, 1], |results| up to ~15, 47 products summed by cublasHgemm in fp16 (11-bit mantissa):
        // ~2e-2 absolute expected; a wrong product (transposition, layout) is off by O(1)
        LinearReference.checkGemm(DataType.HALF, 0.15);
    }

    @Test
    void denseLinearForwardAndBackwardGiveTheReferenceNumbers() {
        new LinearReference().checkDenseLinear(DataType.FLOAT, 1e-4);
        new LinearReference().checkDenseLinear(DataType.DOUBLE, 1e-12);
    }

    @Test
    void denseLinearGradientsMatchFiniteDifferencesOnTheDevice() {
        Nd4j.getRandom().setSeed(7);
        Parameter w = new Parameter("l.weight", Nd4j.randn(DataType.DOUBLE, 5, 4), true);
        Parameter b = new Parameter("l.bias", Nd4j.randn(DataType.DOUBLE, 5), true);
        DenseLinear linear = new DenseLinear("l", new DenseWeight(w), b);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 3, 4);
        INDArray r = Nd4j.randn(DataType.DOUBLE, 3, 5);
        linear.forward(x, true);
        INDArray dx = linear.backward(r);
        GradientCheck.check("dx", () -> GradientCheck.dot(linear.forward(x, false), r), x, dx);
        GradientCheck.check("dW", () -> GradientCheck.dot(linear.forward(x, false), r), w.value(), w.grad());
        GradientCheck.check("db", () -> GradientCheck.dot(linear.forward(x, false), r), b.value(), b.grad());
    }
}
