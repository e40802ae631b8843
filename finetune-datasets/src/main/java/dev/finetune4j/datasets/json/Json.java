package dev.finetune4j.datasets.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Iterator;
import java.util.StringJoiner;

/** The JSON settings shared by readers and writers, and wording helpers for problems. */
public final class Json {
    /** Strict duplicate-key detection off (as Python's json), no source in locations (we add file and line). */
    public static final JsonFactory FACTORY = JsonFactory.builder()
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .build();
    public static final ObjectMapper MAPPER = new ObjectMapper(FACTORY);

    private Json() {
    }

    /** "a string", "an array", "null", ... for messages such as "must be a string, got a number". */
    public static String kind(JsonNode n) {
        if (n == null || n.isMissingNode()) {
            return "nothing";
        }
        return switch (n.getNodeType()) {
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case NULL -> "null";
            default -> n.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    /** The record's keys as {@code [a, b, c]} (at most 8), to say what a record has when a column is missing. */
    public static String keys(JsonNode n) {
        StringJoiner j = new StringJoiner(", ", "[", "]");
        int i = 0;
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); i++) {
            String k = it.next();
            if (i == 8) {
                j.add("...");
                break;
            }
            j.add(k);
        }
        return j.toString();
    }

    /** A value quoted for a message, shortened to 40 characters. */
    public static String quote(String s) {
        String t = s.length() > 40 ? s.substring(0, 37) + "..." : s;
        return '"' + t.replace("\n", "\\n") + '"';
    }

    /** A short rendering of any JSON value for a message. */
    public static String show(JsonNode n) {
        if (n == null || n.isMissingNode()) {
            return "nothing";
        }
        if (n.isTextual()) {
            return quote(n.asText());
        }
        String s = n.toString();
        return s.length() > 40 ? s.substring(0, 37) + "..." : s;
    }
}
