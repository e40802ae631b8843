package dev.finetune4j.model.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.nn.DenseLinear;
import dev.finetune4j.nn.DenseWeight;
import dev.finetune4j.nn.Linear;
import dev.finetune4j.nn.Parameter;
import dev.finetune4j.testing.GradientCheck;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Finite-difference checks (DOUBLE) of every hand-written layer backward. */
class LayerGradientTest {
    private static final DataType D = DataType.DOUBLE;

    @BeforeEach
    void seed() {
        Nd4j.getRandom().setSeed(12345);
    }

    private static Parameter p(String name, long... shape) {
        return new Parameter(name, Nd4j.randn(D, shape).muli(0.5), true);
    }

    private static Parameter norm(String name, long n) {
        return new Parameter(name, Nd4j.randn(D, n).muli(0.1).addi(1.0), true);
    }

    private static Linear linear(String name, long out, long in, boolean bias) {
        return new DenseLinear(name, new DenseWeight(p(name + ".weight", out, in)), bias ? p(name + ".bias", out) : null);
    }

    @Test
    void rmsNorm() {
        RmsNorm n = new RmsNorm(norm("n.weight", 6), 1e-6);
        INDArray x = Nd4j.randn(D, 4, 6);
        INDArray r = Nd4j.randn(D, 4, 6);
        n.forward(x, true);
        INDArray dx = n.backward(r);
        GradientCheck.check("rmsnorm dx", () -> GradientCheck.dot(n.forward(x, false), r), x, dx);
        GradientCheck.check("rmsnorm dw", () -> GradientCheck.dot(n.forward(x, false), r), n.weight().value(),
                n.weight().grad());
    }

    @Test
    void rmsNormMatchesDefinition() {
        RmsNorm n = new RmsNorm(norm("n.weight", 5), 1e-5);
        INDArray x = Nd4j.randn(D, 3, 5);
        INDArray y = n.forward(x, false);
        for (int i = 0; i < 3; i++) {
            double ms = 0;
            for (int j = 0; j < 5; j++) {
                ms += x.getDouble(i, j) * x.getDouble(i, j) / 5;
            }
            for (int j = 0; j < 5; j++) {
                double want = n.weight().value().getDouble(j) * x.getDouble(i, j) / Math.sqrt(ms + 1e-5);
                assertEquals(want, y.getDouble(i, j), 1e-12);
            }
        }
    }

    @Test
    void rope() {
        RotaryEmbedding rope = new RotaryEmbedding(new float[] {1f, 0.1f, 0.01f}, 6);
        int[] pos = {0, 3, 1, 7};
        INDArray[] t = rope.tables(pos, 2, D);
        INDArray x = Nd4j.randn(D, 4, 12);
        INDArray r = Nd4j.randn(D, 4, 12);
        INDArray y = rope.apply(x, t[0], t[1]);
        // definition: x·cos + rotate_half(x)·sin per head, angles float32(pos·inv)
        for (int row = 0; row < 4; row++) {
            for (int h = 0; h < 2; h++) {
                for (int j = 0; j < 6; j++) {
                    float angle = (float) pos[row] * new float[] {1f, 0.1f, 0.01f}[j % 3];
                    double c = (float) Math.cos(angle);
                    double s = (float) Math.sin(angle);
                    double rot = j < 3 ? -x.getDouble(row, h * 6 + j + 3) : x.getDouble(row, h * 6 + j - 3);
                    assertEquals(x.getDouble(row, h * 6 + j) * c + rot * s, y.getDouble(row, h * 6 + j), 1e-12);
                }
            }
        }
        INDArray dx = rope.backward(r, t[0], t[1]);
        GradientCheck.check("rope dx", () -> GradientCheck.dot(rope.apply(x, t[0], t[1]), r), x, dx);
    }

    @Test
    void mlp() {
        Mlp m = new Mlp(linear("g", 10, 6, true), linear("u", 10, 6, true), linear("d", 6, 10, true));
        INDArray x = Nd4j.randn(D, 5, 6);
        INDArray r = Nd4j.randn(D, 5, 6);
        m.forward(x, true);
        INDArray dx = m.backward(r);
        GradientCheck.check("mlp dx", () -> GradientCheck.dot(m.forward(x, false), r), x, dx);
        for (Linear l : List.of(m.gate(), m.up(), m.down())) {
            for (Parameter q : l.parameters()) {
                GradientCheck.check("mlp " + q.name(), () -> GradientCheck.dot(m.forward(x, false), r), q.value(), q.grad());
            }
        }
    }

    @Test
    void embeddingWithRepeatedIds() {
        Parameter w = p("e.weight", 7, 4);
        Embedding e = new Embedding(w);
        int[] ids = {3, 0, 3, 6, 3};
        INDArray r = Nd4j.randn(D, 5, 4);
        e.forward(ids, true);
        e.backward(r);
        GradientCheck.check("embedding dW", () -> GradientCheck.dot(e.forward(ids, false), r), w.value(), w.grad());
    }

    @Test
    void frozenParametersGetNoGradient() {
        Mlp m = new Mlp(linear("g", 10, 6, false), linear("u", 10, 6, false), linear("d", 6, 10, false));
        m.gate().parameters().forEach(q -> q.setTrainable(false));
        m.forward(Nd4j.randn(D, 3, 6), true);
        m.backward(Nd4j.randn(D, 3, 6));
        m.gate().parameters().forEach(q -> assertEquals(null, q.grad()));
        m.up().parameters().forEach(q -> assertTrue(q.grad() != null));
    }

    /** Attention with GQA, bias, q/k norm, head_dim != hidden/heads, padding and packed segments. */
    @Test
    void attentionGqaQkNormMasksAndPacking() {
        checkAttention(true, true, 0);
    }

    @Test
    void attentionPlainMhaWithSlidingWindow() {
        checkAttention(false, false, 2);
    }

    private void checkAttention(boolean qkNorm, boolean bias, int window) {
        int hidden = 8;
        int heads = qkNorm ? 4 : 2;
        int kv = qkNorm ? 2 : 2;
        int hd = 6;
        Attention a = new Attention(0, heads, kv, hd, window, linear("q", heads * hd, hidden, bias),
                linear("k", kv * hd, hidden, bias), linear("v", kv * hd, hidden, bias),
                linear("o", hidden, heads * hd, false),
                qkNorm ? new RmsNorm(norm("qn.weight", hd), 1e-6) : null,
                qkNorm ? new RmsNorm(norm("kn.weight", hd), 1e-6) : null);
        RotaryEmbedding rope = new RotaryEmbedding(new float[] {1f, 0.3f, 0.05f}, hd);
        // row 0: two packed examples (segments 1,1,1,2,2,2) then padding; row 1: left padding then one example
        int[] segments = {1, 1, 1, 2, 2, 2, 0, 0, 0, 1, 1, 1, 1, 1};
        int[] positions = {0, 1, 2, 0, 1, 2, 0, 0, 0, 0, 1, 2, 3, 4};
        SequenceContext ctx = SequenceContext.forBatch(2, 7, positions, segments, D, rope);
        INDArray x = Nd4j.randn(D, 14, hidden);
        INDArray r = Nd4j.randn(D, 14, hidden);
        INDArray y = a.forward(x, ctx, true);
        assertTrue(java.util.Arrays.stream(y.dup().data().asDouble()).allMatch(Double::isFinite),
                "padding rows must not produce NaN/Inf");
        INDArray dx = a.backward(r);
        GradientCheck.check("attention dx", () -> GradientCheck.dot(a.forward(x, ctx, false), r), x, dx, 200, 1e-5);
        List<Parameter> params = new ArrayList<>();
        for (Linear l : List.of(a.qProj(), a.kProj(), a.vProj(), a.oProj())) {
            params.addAll(l.parameters());
        }
        if (qkNorm) {
            params.add(a.qNorm().weight());
            params.add(a.kNorm().weight());
        }
        for (Parameter q : params) {
            // 1e-5: a few entries are ~1e-4 and central differences carry ~1e-9 absolute round-off here
            GradientCheck.check("attention " + q.name(), () -> GradientCheck.dot(a.forward(x, ctx, false), r),
                    q.value(), q.grad(), 200, 1e-5);
        }
        // packed segments are independent: segment 2 of row 0 equals the same tokens run alone at positions 0..2
        INDArray packed = a.forward(x, ctx, false);
        INDArray alone = x.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(3, 6),
                org.nd4j.linalg.indexing.NDArrayIndex.all()).dup();
        SequenceContext single = SequenceContext.forBatch(1, 3, new int[] {0, 1, 2}, new int[] {1, 1, 1}, D, rope);
        INDArray y2 = a.forward(alone, single, false);
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < hidden; j++) {
                assertEquals(y2.getDouble(i, j), packed.getDouble(3 + i, j), 1e-12);
            }
        }
        ctx.close();
        single.close();
    }

    @Test
    void decoderLayer() {
        int hidden = 8;
        Attention a = new Attention(0, 4, 2, 4, 0, linear("q", 16, hidden, true), linear("k", 8, hidden, true),
                linear("v", 8, hidden, true), linear("o", hidden, 16, false), null, null);
        Mlp m = new Mlp(linear("g", 12, hidden, false), linear("u", 12, hidden, false), linear("d", hidden, 12, false));
        DecoderLayer layer = new DecoderLayer(0, new RmsNorm(norm("in.weight", hidden), 1e-6), a,
                new RmsNorm(norm("post.weight", hidden), 1e-6), m);
        RotaryEmbedding rope = new RotaryEmbedding(new float[] {1f, 0.2f}, 4);
        SequenceContext ctx = SequenceContext.forBatch(2, 4, new int[] {0, 1, 2, 3, 0, 1, 2, 3},
                new int[] {1, 1, 1, 1, 1, 1, 1, 1}, D, rope);
        INDArray x = Nd4j.randn(D, 8, hidden);
        INDArray xCopy = x.dup();
        INDArray r = Nd4j.randn(D, 8, hidden);
        layer.forward(x, ctx, true);
        assertEquals(xCopy, x, "the layer must not modify its input");
        INDArray dx = layer.backward(r);
        GradientCheck.check("layer dx", () -> GradientCheck.dot(layer.forward(x, ctx, false), r), x, dx);
        for (Parameter q : List.of(layer.inputNorm().weight(), layer.postAttentionNorm().weight())) {
            GradientCheck.check("layer " + q.name(), () -> GradientCheck.dot(layer.forward(x, ctx, false), r),
                    q.value(), q.grad());
        }
        ctx.close();
    }
}
