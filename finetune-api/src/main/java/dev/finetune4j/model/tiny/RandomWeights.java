package dev.finetune4j.model.tiny;

import dev.finetune4j.model.CausalLM;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Seeded random weights that are the same on every machine and JVM: each tensor draws from its own
 * {@link SplittableRandom} seeded by (seed, tensor name), through a Box–Muller transform in {@link StrictMath},
 * rounded to float32. Norm weights are {@code 1 + N(0, normNoise)} (so that code ignoring them fails the reference
 * tests), biases and everything else {@code N(0, std)}.
 *
 * <p>Also a {@link CausalLM.WeightSource}, to build a model in memory without files.
 */
public final class RandomWeights implements CausalLM.WeightSource {
    private final long seed;
    private final double std;
    private final double normNoise;

    public RandomWeights(long seed, double std, double normNoise) {
        if (!(std >= 0) || !(normNoise >= 0)) {
            throw new IllegalArgumentException("std and norm noise must be >= 0");
        }
        this.seed = seed;
        this.std = std;
        this.normNoise = normNoise;
    }

    /** Sequential values of one tensor. */
    public interface Stream {
        float next();
    }

    /** The values of tensor {@code name}, in C order. */
    public Stream stream(String name) {
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + name.hashCode());
        boolean norm = name.endsWith("norm.weight");
        double mean = norm ? 1.0 : 0.0;
        double sd = norm ? normNoise : std;
        return new Stream() {
            private double spare;
            private boolean hasSpare;

            @Override
            public float next() {
                double z;
                if (hasSpare) {
                    z = spare;
                    hasSpare = false;
                } else {
                    double u1 = 1.0 - random.nextDouble(); // (0, 1]
                    double u2 = random.nextDouble();
                    double r = StrictMath.sqrt(-2.0 * StrictMath.log(u1));
                    z = r * StrictMath.cos(2 * StrictMath.PI * u2);
                    spare = r * StrictMath.sin(2 * StrictMath.PI * u2);
                    hasSpare = true;
                }
                return (float) (mean + sd * z);
            }
        };
    }

    /** Generates tensor {@code name} straight into a new array of {@code dtype} (no second copy). */
    @Override
    public INDArray load(String name, long[] shape, DataType dtype) {
        INDArray a = Nd4j.createUninitialized(dtype, shape, 'c');
        long n = a.length();
        Stream s = stream(name);
        if (n * dtype.width() <= Integer.MAX_VALUE) {
            java.nio.ByteBuffer bytes = a.data().asNio().order(java.nio.ByteOrder.nativeOrder());
            if (dtype == DataType.FLOAT) {
                java.nio.FloatBuffer f = bytes.asFloatBuffer();
                for (long i = 0; i < n; i++) {
                    f.put(s.next());
                }
            } else {
                java.nio.DoubleBuffer d = bytes.asDoubleBuffer();
                for (long i = 0; i < n; i++) {
                    d.put(s.next());
                }
            }
        } else {
            for (long i = 0; i < n; i++) {
                a.data().put(i, s.next());
            }
        }
        return a;
    }
}
