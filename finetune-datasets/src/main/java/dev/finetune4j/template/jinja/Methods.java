package dev.finetune4j.template.jinja;

import dev.finetune4j.template.jinja.Py.Callable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Python methods on strings, dicts and lists as templates call them ({@code s.startswith('x')}, {@code d.items()}). */
final class Methods {
    private Methods() {
    }

    /** The bound method {@code name} of {@code target}, or null when there is none. */
    static Callable bind(Object target, String name) {
        if (target instanceof String s) {
            return string(s, name);
        }
        if (target instanceof Map<?, ?> m) {
            return map(m, name);
        }
        if (target instanceof List<?> l) {
            return list(l, name);
        }
        return null;
    }

    private static Object arg(List<Object> args, Map<String, Object> kw, int i, String name, Object dflt) {
        if (i < args.size()) {
            return args.get(i);
        }
        return kw.getOrDefault(name, dflt);
    }

    private static String optStr(Object o) {
        return o == null || o == Py.UNDEFINED ? null : Py.str(o);
    }

    private static Callable string(String s, String name) {
        switch (name) {
            case "startswith":
            case "endswith":
                return (args, kw) -> {
                    Object p = arg(args, kw, 0, "prefix", "");
                    List<Object> options = p instanceof List<?> ? Py.iterate(p) : List.of(p);
                    for (Object o : options) {
                        String x = Py.str(o);
                        if (name.equals("startswith") ? s.startsWith(x) : s.endsWith(x)) {
                            return true;
                        }
                    }
                    return false;
                };
            case "strip":
                return (args, kw) -> Py.strip(s, optStr(arg(args, kw, 0, "chars", null)), true, true);
            case "lstrip":
                return (args, kw) -> Py.strip(s, optStr(arg(args, kw, 0, "chars", null)), true, false);
            case "rstrip":
                return (args, kw) -> Py.strip(s, optStr(arg(args, kw, 0, "chars", null)), false, true);
            case "split":
                return (args, kw) -> Py.split(s, optStr(arg(args, kw, 0, "sep", null)),
                        (int) Py.toLong(arg(args, kw, 1, "maxsplit", -1L)));
            case "rsplit":
                return (args, kw) -> Py.rsplit(s, optStr(arg(args, kw, 0, "sep", null)),
                        (int) Py.toLong(arg(args, kw, 1, "maxsplit", -1L)));
            case "splitlines":
                return (args, kw) -> {
                    List<Object> out = new ArrayList<>();
                    for (String line : s.split("\r\n|\n|\r", -1)) {
                        out.add(line);
                    }
                    if (!out.isEmpty() && ((String) out.get(out.size() - 1)).isEmpty()) {
                        out.remove(out.size() - 1);
                    }
                    return out;
                };
            case "replace":
                return (args, kw) -> {
                    String old = Py.str(args.get(0));
                    String rep = Py.str(args.get(1));
                    long count = args.size() > 2 ? Py.toLong(args.get(2)) : Py.toLong(kw.getOrDefault("count", -1L));
                    if (count < 0) {
                        return s.replace(old, rep);
                    }
                    StringBuilder sb = new StringBuilder();
                    int from = 0;
                    for (long i = 0; i < count; i++) {
                        int idx = s.indexOf(old, from);
                        if (idx < 0) {
                            break;
                        }
                        sb.append(s, from, idx).append(rep);
                        from = idx + old.length();
                    }
                    return sb.append(s.substring(from)).toString();
                };
            case "upper":
                return (args, kw) -> s.toUpperCase(Locale.ROOT);
            case "lower":
                return (args, kw) -> s.toLowerCase(Locale.ROOT);
            case "title":
                return (args, kw) -> Py.title(s);
            case "capitalize":
                return (args, kw) -> Py.capitalize(s);
            case "find":
                return (args, kw) -> (long) s.indexOf(Py.str(args.get(0)));
            case "rfind":
                return (args, kw) -> (long) s.lastIndexOf(Py.str(args.get(0)));
            case "count":
                return (args, kw) -> {
                    String x = Py.str(args.get(0));
                    if (x.isEmpty()) {
                        return (long) s.length() + 1;
                    }
                    long n = 0;
                    for (int i = s.indexOf(x); i >= 0; i = s.indexOf(x, i + x.length())) {
                        n++;
                    }
                    return n;
                };
            case "join":
                return (args, kw) -> {
                    StringBuilder sb = new StringBuilder();
                    List<Object> items = Py.iterate(args.get(0));
                    for (int i = 0; i < items.size(); i++) {
                        sb.append(i > 0 ? s : "").append(Py.str(items.get(i)));
                    }
                    return sb.toString();
                };
            case "isdigit":
                return (args, kw) -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            case "isspace":
                return (args, kw) -> !s.isEmpty() && s.chars().allMatch(Py::isSpace);
            case "isalpha":
                return (args, kw) -> !s.isEmpty() && s.chars().allMatch(Character::isLetter);
            case "removeprefix":
                return (args, kw) -> s.startsWith(Py.str(args.get(0))) ? s.substring(Py.str(args.get(0)).length()) : s;
            case "removesuffix":
                return (args, kw) -> {
                    String x = Py.str(args.get(0));
                    return !x.isEmpty() && s.endsWith(x) ? s.substring(0, s.length() - x.length()) : s;
                };
            default:
                return null;
        }
    }

    private static Callable map(Map<?, ?> m, String name) {
        switch (name) {
            case "items":
                return (args, kw) -> {
                    List<Object> out = new ArrayList<>();
                    m.forEach((k, v) -> {
                        List<Object> pair = new ArrayList<>(2);
                        pair.add(k);
                        pair.add(v);
                        out.add(pair);
                    });
                    return out;
                };
            case "keys":
                return (args, kw) -> new ArrayList<Object>(m.keySet());
            case "values":
                return (args, kw) -> new ArrayList<Object>(m.values());
            case "get":
                return (args, kw) -> {
                    Object k = args.get(0);
                    return m.containsKey(k) ? m.get(k) : (args.size() > 1 ? args.get(1) : null);
                };
            default:
                return null;
        }
    }

    private static Callable list(List<?> l, String name) {
        switch (name) {
            case "index":
                return (args, kw) -> {
                    for (int i = 0; i < l.size(); i++) {
                        if (Py.eq(l.get(i), args.get(0))) {
                            return (long) i;
                        }
                    }
                    throw new JinjaException("value is not in list");
                };
            case "count":
                return (args, kw) -> l.stream().filter(x -> Py.eq(x, args.get(0))).count();
            default:
                return null;
        }
    }
}
