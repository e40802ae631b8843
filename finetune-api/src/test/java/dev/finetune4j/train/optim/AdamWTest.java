package dev.finetune4j.train.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.checkpoint.CheckpointException;
import dev.finetune4j.nn.Parameter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** AdamW, clipping and the linear schedule against torch (optim/adamw_reference.py and its JSON output). */
class AdamWTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    static JsonNode reference() throws Exception {
        return JSON.readTree(AdamWTest.class.getResourceAsStream("/optim/adamw_reference.json"));
    }

    static INDArray array(JsonNode flat, JsonNode shape, DataType dt) {
        double[] v = new double[flat.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = flat.get(i).asDouble();
        }
        long[] s = new long[shape.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = shape.get(i).asLong();
        }
        return Nd4j.createFromArray(v).reshape(s).castTo(dt);
    }

    /** The reference's parameters and optimizer (two groups: w1, w2 with decay 0.1; b1 at twice the lr, no decay). */
    record Setup(Map<String, Parameter> params, AdamW opt, LearningRateSchedule schedule, double maxNorm) {
    }

    static Setup setup(JsonNode ref, DataType dt) {
        Map<String, Parameter> params = new LinkedHashMap<>();
        ref.get("shapes").fields().forEachRemaining(e ->
                params.put(e.getKey(), new Parameter(e.getKey(), array(ref.get("init").get(e.getKey()), e.getValue(), dt),
                        true)));
        List<ParamGroup> groups = new ArrayList<>();
        int i = 0;
        for (JsonNode g : ref.get("groups")) {
            List<Parameter> ps = new ArrayList<>();
            g.get("params").forEach(n -> ps.add(params.get(n.asText())));
            groups.add(new ParamGroup("g" + i++, ps, g.get("lr_scale").asDouble(), g.get("weight_decay").asDouble()));
        }
        LearningRateSchedule schedule = new LearningRateSchedule(dev.finetune4j.config.SchedulerType.LINEAR,
                ref.get("base_lr").asDouble(), ref.get("warmup_steps").asInt(), ref.get("total_steps").asInt());
        return new Setup(params, new AdamW(groups, AdamW.Settings.defaults()), schedule, ref.get("max_norm").asDouble());
    }

    /** Step k of the reference: set the gradients, clip, step at the scheduled lr; returns the norm before clipping. */
    static double step(JsonNode ref, Setup s, int k) {
        JsonNode st = ref.get("steps").get(k);
        s.opt.zeroGrad();
        s.params.forEach((n, p) -> {
            INDArray g = array(st.get("grads").get(n), ref.get("shapes").get(n), p.value().dataType());
            p.accumulateGrad(g);
        });
        assertEquals(st.get("lr").asDouble(), s.schedule.lr(k), 1e-15, "lr at step " + k);
        double norm = GradientClipping.clip(s.opt.parameters(), s.maxNorm);
        s.opt.step(s.schedule.lr(k));
        return norm;
    }

    @ParameterizedTest
    @ValueSource(strings = {"DOUBLE", "FLOAT"})
    void stepsMatchTorch(String type) throws Exception {
        DataType dt = DataType.valueOf(type);
        double tol = dt == DataType.DOUBLE ? 1e-12 : 2e-6;
        JsonNode ref = reference();
        Setup s = setup(ref, dt);
        for (int k = 0; k < ref.get("steps").size(); k++) {
            JsonNode st = ref.get("steps").get(k);
            double norm = step(ref, s, k);
            assertEquals(st.get("grad_norm").asDouble(), norm, tol * Math.max(1, norm), "grad norm at step " + k);
            for (Map.Entry<String, Parameter> e : s.params.entrySet()) {
                INDArray want = array(st.get("params_after").get(e.getKey()), ref.get("shapes").get(e.getKey()),
                        DataType.DOUBLE);
                double err = e.getValue().value().castTo(DataType.DOUBLE).sub(want).amaxNumber().doubleValue();
                assertTrue(err <= tol, e.getKey() + " after step " + (k + 1) + ": max error " + err);
            }
        }
        for (Map.Entry<String, Parameter> e : s.params.entrySet()) {
            JsonNode st = ref.get("state").get(e.getKey());
            assertEquals(st.get("step").asLong(), s.opt.stepCount(e.getValue()));
        }
    }

    @Test
    void savedStateContinuesExactlyAsAnUninterruptedRun() throws Exception {
        JsonNode ref = reference();
        Setup whole = setup(ref, DataType.DOUBLE);
        for (int k = 0; k < 6; k++) {
            step(ref, whole, k);
        }
        Setup first = setup(ref, DataType.DOUBLE);
        for (int k = 0; k < 3; k++) {
            step(ref, first, k);
        }
        first.opt.save(tmp.resolve("ckpt"));
        // a new process: parameters as saved, a fresh optimizer with the loaded state
        Setup second = setup(ref, DataType.DOUBLE);
        second.params.forEach((n, p) -> p.setValue(first.params.get(n).value().dup()));
        second.opt.load(tmp.resolve("ckpt"));
        for (Parameter p : second.opt.parameters()) {
            assertEquals(3, second.opt.stepCount(p));
        }
        for (int k = 3; k < 6; k++) {
            step(ref, second, k);
        }
        whole.params.forEach((n, p) -> assertEquals(p.value(), second.params.get(n).value(), n));
    }

    @Test
    void stateThatDoesNotFitIsAnErrorNamingTheParameter() throws Exception {
        JsonNode ref = reference();
        Setup s = setup(ref, DataType.DOUBLE);
        step(ref, s, 1);
        s.opt.save(tmp.resolve("ckpt"));
        Parameter other = new Parameter("w1", Nd4j.zeros(DataType.DOUBLE, 4, 3), true);
        AdamW wrongShape = AdamW.of(List.of(other), 0);
        CheckpointException e = assertThrows(CheckpointException.class, () -> wrongShape.load(tmp.resolve("ckpt")));
        assertTrue(e.getMessage().contains("w1.exp_avg") && e.getMessage().contains("[4, 3]"), e.getMessage());
        AdamW fewer = AdamW.of(List.of(new Parameter("w1", Nd4j.zeros(DataType.DOUBLE, 3, 4), true)), 0);
        e = assertThrows(CheckpointException.class, () -> fewer.load(tmp.resolve("ckpt")));
        assertTrue(e.getMessage().contains("w2") || e.getMessage().contains("b1"), e.getMessage());
        e = assertThrows(CheckpointException.class, () -> fewer.load(tmp.resolve("none")));
        assertTrue(e.getMessage().contains("optimizer.json"), e.getMessage());
    }

    @Test
    void onlyTrainableParametersAndNoGradientNoUpdate() {
        Parameter frozen = new Parameter("f", Nd4j.ones(DataType.DOUBLE, 2), false);
        assertThrows(IllegalArgumentException.class, () -> AdamW.of(List.of(frozen), 0));
        Parameter p = new Parameter("p", Nd4j.ones(DataType.DOUBLE, 2), true);
        AdamW opt = AdamW.of(List.of(p), 0.5);
        opt.step(0.1); // no gradient yet: skipped, as torch skips grad None (weight decay included)
        assertEquals(Nd4j.ones(DataType.DOUBLE, 2), p.value());
        assertEquals(0, opt.stepCount(p));
        assertThrows(IllegalArgumentException.class, () -> new AdamW(List.of(new ParamGroup("a", List.of(p), 1, 0),
                new ParamGroup("b", List.of(p), 1, 0)), AdamW.Settings.defaults()));
    }

    @Test
    void firstStepMovesEachEntryByAboutTheLearningRate() {
        // with bias correction, step 1 is lr·g/(|g| + eps) ≈ ±lr per entry, after the decoupled decay p·(1 - lr·wd)
        Parameter p = new Parameter("p", Nd4j.createFromArray(1.0, -2.0, 3.0), true);
        p.accumulateGrad(Nd4j.createFromArray(0.5, -4.0, 1e-3));
        AdamW.of(List.of(p), 0.1).step(0.01);
        double[] want = {1 * (1 - 0.001) - 0.01 * 0.5 / (0.5 + 1e-8), -2 * (1 - 0.001) + 0.01 * 4 / (4 + 1e-8),
            3 * (1 - 0.001) - 0.01 * 1e-3 / (1e-3 + 1e-8)};
        for (int i = 0; i < 3; i++) {
            assertEquals(want[i], p.value().getDouble(i), 1e-12);
        }
    }
}
