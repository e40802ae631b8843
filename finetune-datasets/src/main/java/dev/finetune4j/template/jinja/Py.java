package dev.finetune4j.template.jinja;

import dev.finetune4j.template.PythonJson;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Python value semantics for the Jinja runtime. Values are {@code null} (None), {@link #UNDEFINED},
 * {@link Boolean}, {@link Long}, {@link Double}, {@link String}, {@link List}, {@link Map} (string keys, insertion
 * order), {@link Namespace} and {@link Callable}.
 */
final class Py {
    private Py() {
    }

    /** Jinja's Undefined: prints as "", is false, iterates as empty; attribute access on it stays undefined. */
    static final Object UNDEFINED = new Object() {
        @Override
        public String toString() {
            return "";
        }
    };

    /** A {@code namespace()} object: attributes may be assigned with {@code set ns.x = ...}. */
    static final class Namespace {
        final Map<String, Object> attrs = new LinkedHashMap<>();
    }

    /** Something callable from a template: a global function, a macro or a bound method. */
    interface Callable {
        Object call(List<Object> args, Map<String, Object> kwargs);
    }

    /** Converts Jackson/Java values (Integer, Map with any keys, arrays) into runtime values. */
    static Object wrap(Object v) {
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Long || v instanceof Double
                || v == UNDEFINED || v instanceof Namespace || v instanceof Callable) {
            return v;
        }
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof java.math.BigInteger b) {
            return b.bitLength() < 64 ? b.longValue() : b.doubleValue();
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, val) -> out.put(String.valueOf(k), wrap(val)));
            return out;
        }
        if (v instanceof Iterable<?> it) {
            List<Object> out = new ArrayList<>();
            it.forEach(x -> out.add(wrap(x)));
            return out;
        }
        if (v instanceof Object[] arr) {
            List<Object> out = new ArrayList<>();
            for (Object x : arr) {
                out.add(wrap(x));
            }
            return out;
        }
        if (v instanceof Character c) {
            return c.toString();
        }
        return v.toString();
    }

    static boolean truthy(Object v) {
        if (v == null || v == UNDEFINED) {
            return false;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof Long l) {
            return l != 0;
        }
        if (v instanceof Double d) {
            return d != 0.0;
        }
        if (v instanceof String s) {
            return !s.isEmpty();
        }
        if (v instanceof List<?> l) {
            return !l.isEmpty();
        }
        if (v instanceof Map<?, ?> m) {
            return !m.isEmpty();
        }
        return true;
    }

    static String typeName(Object v) {
        if (v == null) {
            return "NoneType";
        }
        if (v == UNDEFINED) {
            return "Undefined";
        }
        if (v instanceof Boolean) {
            return "bool";
        }
        if (v instanceof Long) {
            return "int";
        }
        if (v instanceof Double) {
            return "float";
        }
        if (v instanceof String) {
            return "str";
        }
        if (v instanceof List) {
            return "list";
        }
        if (v instanceof Map) {
            return "dict";
        }
        if (v instanceof Namespace) {
            return "Namespace";
        }
        return "function";
    }

    /** Python {@code str()}. */
    static String str(Object v) {
        if (v instanceof String s) {
            return s;
        }
        if (v == UNDEFINED) {
            return "";
        }
        if (v == null) {
            return "None";
        }
        if (v instanceof Boolean b) {
            return b ? "True" : "False";
        }
        if (v instanceof Double d) {
            return PythonJson.floatRepr(d).replace("Infinity", "inf").replace("NaN", "nan");
        }
        return repr(v);
    }

    /** Python {@code repr()}. */
    static String repr(Object v) {
        if (v instanceof String s) {
            boolean useDouble = s.indexOf('\'') >= 0 && s.indexOf('"') < 0;
            char q = useDouble ? '"' : '\'';
            StringBuilder sb = new StringBuilder().append(q);
            for (char c : s.toCharArray()) {
                switch (c) {
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    default -> {
                        if (c == q) {
                            sb.append('\\');
                        }
                        sb.append(c);
                    }
                }
            }
            return sb.append(q).toString();
        }
        if (v instanceof List<?> l) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < l.size(); i++) {
                sb.append(i > 0 ? ", " : "").append(repr(l.get(i)));
            }
            return sb.append(']').toString();
        }
        if (v instanceof Map<?, ?> m) {
            StringBuilder sb = new StringBuilder("{");
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                sb.append(first ? "" : ", ").append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
                first = false;
            }
            return sb.append('}').toString();
        }
        if (v instanceof Long l) {
            return l.toString();
        }
        if (v instanceof Namespace n) {
            return "<Namespace " + repr(n.attrs) + ">";
        }
        if (v instanceof Callable) {
            return "<function>";
        }
        return str(v);
    }

    static boolean isNumber(Object v) {
        return v instanceof Long || v instanceof Double || v instanceof Boolean;
    }

    static double toDouble(Object v) {
        if (v instanceof Boolean b) {
            return b ? 1 : 0;
        }
        return ((Number) v).doubleValue();
    }

    static long toLong(Object v) {
        if (v instanceof Boolean b) {
            return b ? 1 : 0;
        }
        return ((Number) v).longValue();
    }

    static boolean eq(Object a, Object b) {
        if (a == b) {
            return true;
        }
        if (a == null || b == null || a == UNDEFINED || b == UNDEFINED) {
            return false;
        }
        if (isNumber(a) && isNumber(b)) {
            if (a instanceof Double || b instanceof Double) {
                return toDouble(a) == toDouble(b);
            }
            return toLong(a) == toLong(b);
        }
        if (a instanceof List<?> la && b instanceof List<?> lb) {
            if (la.size() != lb.size()) {
                return false;
            }
            for (int i = 0; i < la.size(); i++) {
                if (!eq(la.get(i), lb.get(i))) {
                    return false;
                }
            }
            return true;
        }
        return a.equals(b);
    }

    static int compare(Object a, Object b) {
        if (isNumber(a) && isNumber(b)) {
            if (a instanceof Double || b instanceof Double) {
                return Double.compare(toDouble(a), toDouble(b));
            }
            return Long.compare(toLong(a), toLong(b));
        }
        if (a instanceof String sa && b instanceof String sb) {
            return sa.compareTo(sb);
        }
        if (a instanceof List<?> la && b instanceof List<?> lb) {
            for (int i = 0; i < Math.min(la.size(), lb.size()); i++) {
                int c = compare(la.get(i), lb.get(i));
                if (c != 0) {
                    return c;
                }
            }
            return Integer.compare(la.size(), lb.size());
        }
        throw new JinjaException("cannot compare " + typeName(a) + " with " + typeName(b));
    }

    static boolean contains(Object container, Object item) {
        if (container instanceof String s) {
            return item instanceof String i && s.contains(i);
        }
        if (container instanceof List<?> l) {
            for (Object o : l) {
                if (eq(o, item)) {
                    return true;
                }
            }
            return false;
        }
        if (container instanceof Map<?, ?> m) {
            return item instanceof String && m.containsKey(item);
        }
        if (container instanceof Namespace n) {
            return item instanceof String && n.attrs.containsKey(item);
        }
        if (container == UNDEFINED || container == null) {
            throw new JinjaException("argument of type '" + typeName(container) + "' is not iterable");
        }
        return false;
    }

    static int len(Object v) {
        if (v instanceof String s) {
            return s.codePointCount(0, s.length());
        }
        if (v instanceof List<?> l) {
            return l.size();
        }
        if (v instanceof Map<?, ?> m) {
            return m.size();
        }
        if (v == UNDEFINED) {
            return 0;
        }
        throw new JinjaException("object of type '" + typeName(v) + "' has no len()");
    }

    /** The items a for loop or a filter iterates over (dict: keys; string: characters). */
    static List<Object> iterate(Object v) {
        if (v instanceof List<?> l) {
            @SuppressWarnings("unchecked")
            List<Object> r = (List<Object>) l;
            return r;
        }
        if (v instanceof Map<?, ?> m) {
            return new ArrayList<>(m.keySet());
        }
        if (v instanceof String s) {
            List<Object> out = new ArrayList<>();
            s.codePoints().forEach(cp -> out.add(new String(Character.toChars(cp))));
            return out;
        }
        if (v == UNDEFINED || v == null) {
            if (v == null) {
                throw new JinjaException("'NoneType' object is not iterable");
            }
            return List.of();
        }
        throw new JinjaException("'" + typeName(v) + "' object is not iterable");
    }

    static Iterator<Object> iterator(Object v) {
        return iterate(v).iterator();
    }

    static boolean isSpace(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x85;
    }

    static String strip(String s, String chars, boolean left, boolean right) {
        int start = 0;
        int end = s.length();
        if (left) {
            while (start < end && (chars == null ? isSpace(s.charAt(start)) : chars.indexOf(s.charAt(start)) >= 0)) {
                start++;
            }
        }
        if (right) {
            while (end > start && (chars == null ? isSpace(s.charAt(end - 1)) : chars.indexOf(s.charAt(end - 1)) >= 0)) {
                end--;
            }
        }
        return s.substring(start, end);
    }

    /** Python {@code str.split(sep, maxsplit)}. */
    static List<Object> split(String s, String sep, int maxSplit) {
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            int n = s.length();
            while (true) {
                while (i < n && isSpace(s.charAt(i))) {
                    i++;
                }
                if (i >= n) {
                    break;
                }
                if (maxSplit >= 0 && out.size() == maxSplit) {
                    out.add(strip(s.substring(i), null, false, true));
                    break;
                }
                int j = i;
                while (j < n && !isSpace(s.charAt(j))) {
                    j++;
                }
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) {
            throw new JinjaException("empty separator");
        }
        int from = 0;
        while (maxSplit < 0 || out.size() < maxSplit) {
            int idx = s.indexOf(sep, from);
            if (idx < 0) {
                break;
            }
            out.add(s.substring(from, idx));
            from = idx + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    /** Python {@code str.rsplit(sep, maxsplit)} for an explicit separator. */
    static List<Object> rsplit(String s, String sep, int maxSplit) {
        if (sep == null || maxSplit < 0) {
            return split(s, sep, maxSplit);
        }
        List<Object> out = new ArrayList<>();
        int to = s.length();
        while (out.size() < maxSplit) {
            int idx = s.lastIndexOf(sep, to - sep.length());
            if (idx < 0) {
                break;
            }
            out.add(0, s.substring(idx + sep.length(), to));
            to = idx;
        }
        out.add(0, s.substring(0, to));
        return out;
    }

    static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean prevCased = false;
        for (char c : s.toCharArray()) {
            if (Character.isLetter(c)) {
                sb.append(prevCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
                prevCased = true;
            } else {
                sb.append(c);
                prevCased = false;
            }
        }
        return sb.toString();
    }

    static String capitalize(String s) {
        if (s.isEmpty()) {
            return s;
        }
        return s.substring(0, 1).toUpperCase(java.util.Locale.ROOT) + s.substring(1).toLowerCase(java.util.Locale.ROOT);
    }

    /** Python slicing {@code v[start:stop:step]} for lists and strings. */
    static Object slice(Object v, Object start, Object stop, Object step) {
        List<Object> items;
        boolean isString = v instanceof String;
        if (isString) {
            items = iterate(v);
        } else if (v instanceof List<?>) {
            items = iterate(v);
        } else {
            throw new JinjaException("'" + typeName(v) + "' object is not subscriptable");
        }
        int n = items.size();
        long st = step == null || step == UNDEFINED ? 1 : toLong(step);
        if (st == 0) {
            throw new JinjaException("slice step cannot be zero");
        }
        long lo;
        long hi;
        if (st > 0) {
            lo = bound(start, n, 0, 0, n);
            hi = bound(stop, n, n, 0, n);
        } else {
            lo = bound(start, n, n - 1, -1, n - 1);
            hi = bound(stop, n, -1, -1, n - 1);
        }
        List<Object> out = new ArrayList<>();
        if (st > 0) {
            for (long i = lo; i < hi; i += st) {
                out.add(items.get((int) i));
            }
        } else {
            for (long i = lo; i > hi; i += st) {
                out.add(items.get((int) i));
            }
        }
        if (isString) {
            StringBuilder sb = new StringBuilder();
            out.forEach(o -> sb.append((String) o));
            return sb.toString();
        }
        return out;
    }

    private static long bound(Object idx, int n, long dflt, long min, long max) {
        if (idx == null || idx == UNDEFINED) {
            return dflt;
        }
        long i = toLong(idx);
        if (i < 0) {
            i += n;
        }
        return Math.max(min, Math.min(max, i));
    }
}
