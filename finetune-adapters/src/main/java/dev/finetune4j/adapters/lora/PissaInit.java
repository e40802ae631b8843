package dev.finetune4j.adapters.lora;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * PiSSA's initialisation (PEFT's {@code pissa_init}): from the base weight {@code W [out, in]} take the top-r singular
 * triplets {@code W ≈ U_r·diag(S_r)·V_rᵀ}; with {@code S' = S_r / s}, {@code A = diag(√S')·V_rᵀ [r, in]} and
 * {@code B = U_r·diag(√S') [out, r]}, so that {@code s·B·A} is the rank-r principal part of W; the base weight then
 * becomes the residual {@code W − s·B·A} (done by the caller).
 *
 * <p>The SVD is exact ({@code iterations} −1: the eigen-decomposition of the smaller Gram matrix, in double) or
 * randomized like {@code torch.svd_lowrank(W, q=r, niter=iterations)}: a Gaussian start, {@code iterations} rounds of
 * subspace iteration with re-orthonormalisation, then the exact SVD of the projected {@code r × in} matrix. Computed in
 * double; the factors are returned in {@code W}'s type.
 */
public final class PissaInit {
    private PissaInit() {
    }

    /** A {@code [r, in]} and B {@code [out, r]}. */
    public record Factors(INDArray a, INDArray b) {
    }

    /** The PiSSA factors of {@code w}; {@code seed} draws the randomized SVD's start. */
    public static Factors of(INDArray w, int r, double scaling, int iterations, long seed) {
        INDArray wd = w.castTo(DataType.DOUBLE).dup('c');
        long out = wd.size(0);
        long in = wd.size(1);
        if (r > Math.min(out, in)) {
            throw new IllegalArgumentException("PiSSA rank " + r + " exceeds min(out, in) of a [" + out + ", " + in
                    + "] weight");
        }
        INDArray[] usv = iterations < 0 ? exact(wd, r) : randomized(wd, r, iterations, new SplittableRandom(seed));
        INDArray u = usv[0];   // [out, r]
        INDArray s = usv[1];   // [r]
        INDArray v = usv[2];   // [in, r]
        INDArray root = s.div(scaling);
        for (int k = 0; k < r; k++) {
            root.putScalar(k, Math.sqrt(Math.max(0, root.getDouble(k))));
        }
        INDArray a = v.transpose().mulColumnVector(root.reshape(r, 1));   // diag(√S')·V_rᵀ
        INDArray b = u.mulRowVector(root.reshape(1, r));                  // U_r·diag(√S')
        return new Factors(a.castTo(w.dataType()).dup('c'), b.castTo(w.dataType()).dup('c'));
    }

    /** {U_r [m, r], S_r [r], V_r [n, r]} from the Gram matrix of the smaller side. */
    static INDArray[] exact(INDArray w, int r) {
        long m = w.size(0);
        long n = w.size(1);
        boolean rows = m <= n;
        INDArray gram = rows ? w.mmul(w.transpose()) : w.transpose().mmul(w);
        SymmetricEigen eig = SymmetricEigen.of(gram.toDoubleMatrix());
        INDArray s = Nd4j.create(DataType.DOUBLE, r);
        double[][] lead = new double[(int) (rows ? m : n)][r];
        for (int k = 0; k < r; k++) {
            s.putScalar(k, Math.sqrt(Math.max(0, eig.values[k])));
            for (int i = 0; i < lead.length; i++) {
                lead[i][k] = eig.vectors[i][k];
            }
        }
        INDArray q = Nd4j.createFromArray(lead);
        // the other side: Wᵀ·U / σ (or W·V / σ)
        INDArray other = rows ? w.transpose().mmul(q) : w.mmul(q);
        INDArray inv = s.dup();
        for (int k = 0; k < r; k++) {
            double sk = s.getDouble(k);
            inv.putScalar(k, sk > 0 ? 1 / sk : 0);
        }
        other.muliRowVector(inv.reshape(1, r));
        return rows ? new INDArray[] {q, s, other} : new INDArray[] {other, s, q};
    }

    /** {@code torch.svd_lowrank(w, q=r, niter)}: {U [m, r], S [r], V [n, r]}. */
    static INDArray[] randomized(INDArray w, int r, int iterations, SplittableRandom random) {
        long n = w.size(1);
        double[][] g = new double[(int) n][r];
        for (double[] row : g) {
            for (int k = 0; k < r; k++) {
                row[k] = gaussian(random);
            }
        }
        INDArray q = orthonormalize(w.mmul(Nd4j.createFromArray(g)));
        INDArray wt = w.transpose();
        for (int i = 0; i < iterations; i++) {
            q = orthonormalize(wt.mmul(q));
            q = orthonormalize(w.mmul(q));
        }
        INDArray b = q.transpose().mmul(w);                    // [r, n]
        INDArray[] small = exact(b, r);                         // b = U_b·S·Vᵀ
        return new INDArray[] {q.mmul(small[0]), small[1], small[2]};
    }

    /** The columns of {@code x} orthonormalised (modified Gram-Schmidt, twice for stability). */
    static INDArray orthonormalize(INDArray x) {
        double[][] a = x.toDoubleMatrix();
        int m = a.length;
        int k = a[0].length;
        for (int pass = 0; pass < 2; pass++) {
            for (int j = 0; j < k; j++) {
                for (int p = 0; p < j; p++) {
                    double dot = 0;
                    for (int i = 0; i < m; i++) {
                        dot += a[i][p] * a[i][j];
                    }
                    for (int i = 0; i < m; i++) {
                        a[i][j] -= dot * a[i][p];
                    }
                }
                double norm = 0;
                for (int i = 0; i < m; i++) {
                    norm += a[i][j] * a[i][j];
                }
                norm = Math.sqrt(norm);
                for (int i = 0; i < m; i++) {
                    a[i][j] = norm > 0 ? a[i][j] / norm : 0;
                }
            }
        }
        return Nd4j.createFromArray(a);
    }

    private static double gaussian(SplittableRandom r) {
        double u1 = 1 - r.nextDouble();
        double u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
}
