package dev.finetune4j.template;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;

/**
 * Writes values as Python's {@code json.dumps(value, ensure_ascii=False, indent=indent)} does (separators
 * {@code ", "} and {@code ": "}, or {@code ","} with an indent; key order kept), which is what LLaMA-Factory's tool
 * formatters and HuggingFace's {@code tojson} filter produce. Values are Java maps, lists, strings, numbers,
 * booleans and null (Jackson's untyped reading).
 */
public final class PythonJson {
    private PythonJson() {
    }

    public static String dumps(Object value) {
        return dumps(value, 0);
    }

    /** {@code indent} 0 means none. */
    public static String dumps(Object value, int indent) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, indent, 0);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object v, int indent, int depth) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof String s) {
            quote(sb, s);
        } else if (v instanceof Boolean b) {
            sb.append(b ? "true" : "false");
        } else if (v instanceof Double || v instanceof Float) {
            sb.append(floatRepr(((Number) v).doubleValue()));
        } else if (v instanceof BigDecimal d) {
            sb.append(floatRepr(d.doubleValue()));
        } else if (v instanceof Number n) {
            sb.append(n instanceof BigInteger ? n.toString() : Long.toString(n.longValue()));
        } else if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                sb.append("{}");
                return;
            }
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) {
                    sb.append(indent > 0 ? "," : ", ");
                }
                first = false;
                newline(sb, indent, depth + 1);
                quote(sb, String.valueOf(e.getKey()));
                sb.append(": ");
                write(sb, e.getValue(), indent, depth + 1);
            }
            newline(sb, indent, depth);
            sb.append('}');
        } else if (v instanceof List<?> l) {
            if (l.isEmpty()) {
                sb.append("[]");
                return;
            }
            sb.append('[');
            boolean first = true;
            for (Object o : l) {
                if (!first) {
                    sb.append(indent > 0 ? "," : ", ");
                }
                first = false;
                newline(sb, indent, depth + 1);
                write(sb, o, indent, depth + 1);
            }
            newline(sb, indent, depth);
            sb.append(']');
        } else {
            quote(sb, v.toString());
        }
    }

    private static void newline(StringBuilder sb, int indent, int depth) {
        if (indent > 0) {
            sb.append('\n');
            sb.append(" ".repeat(indent * depth));
        }
    }

    /** Python's {@code repr(float)}: shortest round-trip digits, {@code 1.0}, {@code 1e-05}, {@code 1e+16}. */
    public static String floatRepr(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        if (d == Math.rint(d) && Math.abs(d) < 1e16) {
            return String.format(java.util.Locale.ROOT, "%.1f", d);
        }
        String s = Double.toString(d); // shortest repr, Java style: 1.0E-5
        int e = s.indexOf('E');
        if (e < 0) {
            return s;
        }
        String mant = s.substring(0, e);
        int exp = Integer.parseInt(s.substring(e + 1));
        if (mant.endsWith(".0")) {
            mant = mant.substring(0, mant.length() - 2);
        }
        if (exp >= -4 && exp < 16) {
            return new BigDecimal(mant + "E" + exp).toPlainString();
        }
        return mant + "e" + (exp < 0 ? "-" : "+") + String.format("%02d", Math.abs(exp));
    }

    /** A JSON string literal: escapes quote, backslash and control characters only (ensure_ascii=False). */
    public static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
