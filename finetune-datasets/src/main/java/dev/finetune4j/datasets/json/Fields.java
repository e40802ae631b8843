package dev.finetune4j.datasets.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

/** Reading typed fields of a record, reporting a problem (and returning null) when the type is wrong. */
public final class Fields {
    /** Rule for a tools column that is not a JSON array of tool schemas. */
    public static final String TOOLS_RULE = "tools-json";
    /** Rule for a function-call message whose content is not JSON. */
    public static final String FUNCTION_CALL_RULE = "function-call-json";

    private Fields() {
    }

    /**
     * The string in {@code key}: {@code ""} when the key is unmapped (null), absent or JSON null; null (with a
     * problem) when it holds something else.
     */
    public static String optionalString(JsonNode record, String key, RecordContext ctx, String rule) {
        if (key == null) {
            return "";
        }
        JsonNode n = record.get(key);
        if (n == null || n.isNull()) {
            return "";
        }
        if (!n.isTextual()) {
            ctx.problem(key, rule, "must be a string, got " + Json.kind(n));
            return null;
        }
        return n.textValue();
    }

    /**
     * The tool schemas in {@code key} as a JSON string: a string holding a JSON array (or object), or the array
     * itself (written back as compact JSON); {@code ""} when absent.
     */
    public static String tools(JsonNode record, String key, RecordContext ctx) {
        if (key == null) {
            return "";
        }
        JsonNode n = record.get(key);
        if (n == null || n.isNull()) {
            return "";
        }
        if (n.isArray() || n.isObject()) {
            return n.isEmpty() ? "" : n.toString();
        }
        if (!n.isTextual()) {
            ctx.problem(key, TOOLS_RULE, "must be a JSON array of tool schemas (or a string holding one), got "
                    + Json.kind(n));
            return null;
        }
        String s = n.textValue();
        if (s.isBlank()) {
            return "";
        }
        String err = jsonError(s);
        if (err != null) {
            ctx.problem(key, TOOLS_RULE, "is not valid JSON (" + err + "); it must hold a JSON array of tool schemas");
            return null;
        }
        return s;
    }

    /** Null when {@code s} is one JSON array or object, else what is wrong. */
    public static String jsonError(String s) {
        try {
            JsonNode n = Json.MAPPER.readTree(s);
            if (n == null || !(n.isArray() || n.isObject())) {
                return "expected a JSON object or array, got " + Json.kind(n);
            }
            return null;
        } catch (JsonProcessingException e) {
            return e.getOriginalMessage().replace('\n', ' ');
        }
    }
}
