package dev.finetune4j.template;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Python json.dumps(ensure_ascii=False) output, as LLaMA-Factory's tool formatters and HF tojson write it. */
class PythonJsonTest {
    @Test
    void separatorsIndentAndEscapes() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("b", List.of(1, "x\"y\n", true));
        m.put("a", null);
        m.put("中", Map.of());
        assertEquals("{\"b\": [1, \"x\\\"y\\n\", true], \"a\": null, \"中\": {}}", PythonJson.dumps(m));
        assertEquals("{\n    \"b\": [\n        1,\n        \"x\\\"y\\n\",\n        true\n    ],\n    \"a\": null,\n"
                + "    \"中\": {}\n}", PythonJson.dumps(m, 4));
        assertEquals("\"\\u0001\"", PythonJson.dumps("\u0001"));
    }

    @Test
    void floatsLikePythonRepr() {
        assertEquals("1.0", PythonJson.floatRepr(1.0));
        assertEquals("2.5", PythonJson.floatRepr(2.5));
        assertEquals("1e-05", PythonJson.floatRepr(1e-5));
        assertEquals("0.0001", PythonJson.floatRepr(1e-4));
        assertEquals("12345678.5", PythonJson.floatRepr(12345678.5));
        assertEquals("1e+16", PythonJson.floatRepr(1e16));
        assertEquals("-0.1", PythonJson.floatRepr(-0.1));
    }
}
