package dev.finetune4j.template.jinja;

import dev.finetune4j.template.PythonJson;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Jinja's built-in filters that chat templates use. */
final class Filters {
    static final Object UNKNOWN = new Object();

    private Filters() {
    }

    private static Object kwOr(List<Object> args, Map<String, Object> kw, int i, String name, Object dflt) {
        if (i < args.size()) {
            return args.get(i);
        }
        return kw.getOrDefault(name, dflt);
    }

    static Object apply(Interpreter in, String name, Object v, List<Object> args, Map<String, Object> kw) {
        switch (name) {
            case "trim":
                return Py.strip(Py.str(v), args.isEmpty() ? null : Py.str(args.get(0)), true, true);
            case "length", "count":
                return (long) Py.len(v);
            case "string":
                return Py.str(v);
            case "lower":
                return Py.str(v).toLowerCase(Locale.ROOT);
            case "upper":
                return Py.str(v).toUpperCase(Locale.ROOT);
            case "title":
                return Py.title(Py.str(v));
            case "capitalize":
                return Py.capitalize(Py.str(v));
            case "safe", "e", "escape", "forceescape":
                return name.equals("safe") ? v : html(Py.str(v));
            case "tojson": {
                Object indent = kwOr(args, kw, 0, "indent", null);
                return PythonJson.dumps(unwrap(v), indent == null || indent == Py.UNDEFINED ? 0 : (int) Py.toLong(indent));
            }
            case "first": {
                List<Object> l = Py.iterate(v);
                return l.isEmpty() ? Py.UNDEFINED : l.get(0);
            }
            case "last": {
                List<Object> l = Py.iterate(v);
                return l.isEmpty() ? Py.UNDEFINED : l.get(l.size() - 1);
            }
            case "join": {
                String sep = Py.str(kwOr(args, kw, 0, "d", ""));
                Object attr = kwOr(args, kw, 1, "attribute", null);
                StringBuilder sb = new StringBuilder();
                List<Object> l = Py.iterate(v);
                for (int i = 0; i < l.size(); i++) {
                    Object x = attr == null ? l.get(i) : Interpreter.getItem(l.get(i), attr, 0);
                    sb.append(i > 0 ? sep : "").append(Py.str(x));
                }
                return sb.toString();
            }
            case "default", "d": {
                Object dflt = kwOr(args, kw, 0, "default_value", "");
                boolean bool = Py.truthy(kwOr(args, kw, 1, "boolean", false));
                return v == Py.UNDEFINED || (bool && !Py.truthy(v)) ? dflt : v;
            }
            case "list":
                return new ArrayList<>(Py.iterate(v));
            case "items": {
                if (v == Py.UNDEFINED) {
                    return List.of();
                }
                return Methods.bind(v, "items").call(List.of(), Map.of());
            }
            case "replace": {
                String s = Py.str(v);
                return Methods.bind(s, "replace").call(args, kw);
            }
            case "reverse": {
                if (v instanceof String s) {
                    return new StringBuilder(s).reverse().toString();
                }
                List<Object> l = new ArrayList<>(Py.iterate(v));
                Collections.reverse(l);
                return l;
            }
            case "sort": {
                List<Object> l = new ArrayList<>(Py.iterate(v));
                boolean reverse = Py.truthy(kwOr(args, kw, 0, "reverse", false));
                Object attr = kw.get("attribute");
                l.sort((a, b) -> {
                    Object x = attr == null ? a : Interpreter.getItem(a, attr, 0);
                    Object y = attr == null ? b : Interpreter.getItem(b, attr, 0);
                    return Py.compare(x, y);
                });
                if (reverse) {
                    Collections.reverse(l);
                }
                return l;
            }
            case "unique":
                return new ArrayList<>(new LinkedHashSet<>(Py.iterate(v)));
            case "map": {
                List<Object> out = new ArrayList<>();
                Object attr = kw.get("attribute");
                for (Object x : Py.iterate(v)) {
                    if (attr != null) {
                        Object r = Interpreter.getItem(x, attr, 0);
                        out.add(r == Py.UNDEFINED && kw.containsKey("default") ? kw.get("default") : r);
                    } else {
                        out.add(apply(in, Py.str(args.get(0)), x, args.subList(1, args.size()), Map.of()));
                    }
                }
                return out;
            }
            case "select", "reject": {
                List<Object> out = new ArrayList<>();
                for (Object x : Py.iterate(v)) {
                    boolean ok = args.isEmpty() ? Py.truthy(x)
                            : in.test(Py.str(args.get(0)), x, args.subList(1, args.size()));
                    if (ok == name.equals("select")) {
                        out.add(x);
                    }
                }
                return out;
            }
            case "selectattr", "rejectattr": {
                List<Object> out = new ArrayList<>();
                for (Object x : Py.iterate(v)) {
                    Object a = Interpreter.getItem(x, args.get(0), 0);
                    boolean ok = args.size() < 2 ? Py.truthy(a)
                            : in.test(Py.str(args.get(1)), a, args.subList(2, args.size()));
                    if (ok == name.equals("selectattr")) {
                        out.add(x);
                    }
                }
                return out;
            }
            case "int":
                if (v instanceof String s) {
                    try {
                        return Long.parseLong(s.trim());
                    } catch (NumberFormatException e) {
                        return kwOr(args, kw, 0, "default", 0L);
                    }
                }
                return Py.isNumber(v) ? (Object) (long) Py.toDouble(v) : kwOr(args, kw, 0, "default", 0L);
            case "float":
                if (v instanceof String s) {
                    try {
                        return Double.parseDouble(s.trim());
                    } catch (NumberFormatException e) {
                        return kwOr(args, kw, 0, "default", 0.0);
                    }
                }
                return Py.isNumber(v) ? (Object) Py.toDouble(v) : kwOr(args, kw, 0, "default", 0.0);
            case "abs":
                return v instanceof Double d ? (Object) Math.abs(d) : (Object) Math.abs(Py.toLong(v));
            case "round": {
                long precision = Py.toLong(kwOr(args, kw, 0, "precision", 0L));
                double f = Math.pow(10, precision);
                return Math.round(Py.toDouble(v) * f) / f;
            }
            case "sum": {
                Object total = 0L;
                for (Object x : Py.iterate(v)) {
                    total = total instanceof Double || x instanceof Double ? (Object) (Py.toDouble(total) + Py.toDouble(x))
                            : (Object) (Py.toLong(total) + Py.toLong(x));
                }
                return total;
            }
            case "min", "max": {
                List<Object> l = Py.iterate(v);
                if (l.isEmpty()) {
                    return Py.UNDEFINED;
                }
                Object best = l.get(0);
                for (Object x : l) {
                    int c = Py.compare(x, best);
                    if (name.equals("min") ? c < 0 : c > 0) {
                        best = x;
                    }
                }
                return best;
            }
            case "indent": {
                int width = (int) Py.toLong(kwOr(args, kw, 0, "width", 4L));
                boolean first = Py.truthy(kwOr(args, kw, 1, "first", false));
                boolean blank = Py.truthy(kwOr(args, kw, 2, "blank", false));
                String pad = " ".repeat(width);
                String[] lines = Py.str(v).split("\n", -1);
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < lines.length; i++) {
                    if (i > 0) {
                        sb.append('\n');
                    }
                    boolean doPad = (i > 0 || first) && (blank || !lines[i].isEmpty());
                    sb.append(doPad ? pad : "").append(lines[i]);
                }
                return sb.toString();
            }
            case "wordcount":
                return (long) Py.split(Py.str(v), null, -1).size();
            case "dictsort": {
                List<Object> items = new ArrayList<>(Py.iterate(apply(in, "items", v, List.of(), Map.of())));
                items.sort((a, b) -> Py.compare(((List<?>) a).get(0), ((List<?>) b).get(0)));
                return items;
            }
            default:
                return UNKNOWN;
        }
    }

    private static String html(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&#34;")
                .replace("'", "&#39;");
    }

    /** Runtime values back to plain Java values for JSON (namespaces become maps, undefined null). */
    static Object unwrap(Object v) {
        if (v == Py.UNDEFINED) {
            return null;
        }
        if (v instanceof Py.Namespace n) {
            return new LinkedHashMap<>(n.attrs);
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(String.valueOf(k), unwrap(x)));
            return out;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            l.forEach(x -> out.add(unwrap(x)));
            return out;
        }
        return v;
    }
}
