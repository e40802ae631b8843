package dev.finetune4j.template.jinja;

import dev.finetune4j.template.PythonJson;
import dev.finetune4j.template.jinja.Ast.Expr;
import dev.finetune4j.template.jinja.Ast.Stmt;
import dev.finetune4j.template.jinja.Py.Callable;
import dev.finetune4j.template.jinja.Py.Namespace;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Evaluates a parsed template. Scoping follows {@code @huggingface/jinja}: a for loop has its own scope. */
final class Interpreter {
    private static final RuntimeException BREAK = new ControlFlow();
    private static final RuntimeException CONTINUE = new ControlFlow();

    private static final class ControlFlow extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ControlFlow() {
            super(null, null, false, false);
        }
    }

    static final class Scope {
        final Map<String, Object> vars = new HashMap<>();
        final Scope parent;

        Scope(Scope parent) {
            this.parent = parent;
        }

        Object lookup(String name) {
            for (Scope s = this; s != null; s = s.parent) {
                if (s.vars.containsKey(name)) {
                    return s.vars.get(name);
                }
            }
            return Py.UNDEFINED;
        }

        void set(String name, Object value) {
            vars.put(name, value);
        }
    }

    private final java.time.Clock clock;

    Interpreter(java.time.Clock clock) {
        this.clock = clock;
    }

    String render(List<Stmt> body, Map<String, ?> context) {
        Scope globals = new Scope(null);
        installGlobals(globals);
        Scope scope = new Scope(globals);
        context.forEach((k, v) -> scope.set(k, Py.wrap(v)));
        StringBuilder out = new StringBuilder();
        exec(body, scope, out);
        return out.toString();
    }

    private void installGlobals(Scope g) {
        g.set("namespace", (Callable) (args, kw) -> {
            Namespace ns = new Namespace();
            for (Object a : args) {
                if (a instanceof Map<?, ?> m) {
                    m.forEach((k, v) -> ns.attrs.put((String) k, v));
                }
            }
            ns.attrs.putAll(kw);
            return ns;
        });
        g.set("raise_exception", (Callable) (args, kw) -> {
            throw new JinjaException("the chat template raised an error: " + (args.isEmpty() ? "" : Py.str(args.get(0))));
        });
        g.set("range", (Callable) (args, kw) -> {
            long start = 0;
            long stop;
            long step = 1;
            if (args.size() == 1) {
                stop = Py.toLong(args.get(0));
            } else {
                start = Py.toLong(args.get(0));
                stop = Py.toLong(args.get(1));
                if (args.size() > 2) {
                    step = Py.toLong(args.get(2));
                }
            }
            List<Object> out = new ArrayList<>();
            for (long i = start; step > 0 ? i < stop : i > stop; i += step) {
                out.add(i);
            }
            return out;
        });
        g.set("dict", (Callable) (args, kw) -> new LinkedHashMap<String, Object>(kw));
        g.set("strftime_now", (Callable) (args, kw) -> strftime(Py.str(args.get(0))));
    }

    private String strftime(String fmt) {
        java.time.LocalDateTime now = java.time.LocalDateTime.now(clock);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c != '%' || i + 1 >= fmt.length()) {
                sb.append(c);
                continue;
            }
            char f = fmt.charAt(++i);
            String pattern = switch (f) {
                case 'd' -> "dd";
                case 'b' -> "MMM";
                case 'B' -> "MMMM";
                case 'Y' -> "yyyy";
                case 'y' -> "yy";
                case 'm' -> "MM";
                case 'H' -> "HH";
                case 'M' -> "mm";
                case 'S' -> "ss";
                case 'A' -> "EEEE";
                case 'a' -> "EEE";
                default -> null;
            };
            if (pattern == null) {
                sb.append(f == '%' ? "%" : "%" + f);
            } else {
                sb.append(java.time.format.DateTimeFormatter.ofPattern(pattern, Locale.ENGLISH).format(now));
            }
        }
        return sb.toString();
    }

    // ---- statements ----

    private void exec(List<Stmt> body, Scope scope, StringBuilder out) {
        for (Stmt s : body) {
            exec(s, scope, out);
        }
    }

    private void exec(Stmt s, Scope scope, StringBuilder out) {
        if (s instanceof Ast.Text t) {
            out.append(t.text());
        } else if (s instanceof Ast.Output o) {
            out.append(Py.str(eval(o.expr(), scope)));
        } else if (s instanceof Ast.If i) {
            exec(Py.truthy(eval(i.test(), scope)) ? i.body() : i.orElse(), scope, out);
        } else if (s instanceof Ast.For f) {
            execFor(f, scope, out);
        } else if (s instanceof Ast.Set st) {
            execSet(st, scope);
        } else if (s instanceof Ast.Macro m) {
            scope.set(m.name(), macro(m, scope));
        } else if (s instanceof Ast.CallBlock cb) {
            Ast.Call call = (Ast.Call) cb.call();
            Callable caller = (args, kw) -> {
                StringBuilder sb = new StringBuilder();
                exec(cb.body(), new Scope(scope), sb);
                return sb.toString();
            };
            Object fn = eval(call.fn(), scope);
            List<Object> args = evalAll(call.args(), scope);
            Map<String, Object> kw = evalKw(call.kwNames(), call.kwValues(), scope);
            kw.put("caller", caller);
            out.append(Py.str(invoke(fn, args, kw, call.line())));
        } else if (s instanceof Ast.FilterBlock fb) {
            StringBuilder sb = new StringBuilder();
            exec(fb.body(), scope, sb);
            out.append(Py.str(applyFilter(fb.filter(), sb.toString(), evalAll(fb.args(), scope), Map.of(), fb.line())));
        } else if (s instanceof Ast.Break) {
            throw BREAK;
        } else if (s instanceof Ast.Continue) {
            throw CONTINUE;
        }
    }

    private void execFor(Ast.For f, Scope scope, StringBuilder out) {
        Scope loopScope = new Scope(scope);
        List<Object> source = Py.iterate(eval(f.iterable(), loopScope));
        List<Object> items = new ArrayList<>();
        for (Object item : source) {
            if (f.filter() != null) {
                Scope test = new Scope(loopScope);
                bindTargets(f, item, test);
                if (!Py.truthy(eval(f.filter(), test))) {
                    continue;
                }
            }
            items.add(item);
        }
        if (items.isEmpty()) {
            exec(f.orElse(), scope, out);
            return;
        }
        int n = items.size();
        for (int i = 0; i < n; i++) {
            Map<String, Object> loop = new LinkedHashMap<>();
            loop.put("index", (long) i + 1);
            loop.put("index0", (long) i);
            loop.put("revindex", (long) (n - i));
            loop.put("revindex0", (long) (n - i - 1));
            loop.put("first", i == 0);
            loop.put("last", i == n - 1);
            loop.put("length", (long) n);
            loop.put("previtem", i > 0 ? items.get(i - 1) : Py.UNDEFINED);
            loop.put("nextitem", i < n - 1 ? items.get(i + 1) : Py.UNDEFINED);
            loopScope.set("loop", loop);
            bindTargets(f, items.get(i), loopScope);
            try {
                exec(f.body(), loopScope, out);
            } catch (ControlFlow c) {
                if (c == BREAK) {
                    break;
                }
            }
        }
    }

    private static void bindTargets(Ast.For f, Object item, Scope scope) {
        if (f.targets().size() == 1) {
            scope.set(f.targets().get(0), item);
            return;
        }
        List<Object> parts = Py.iterate(item);
        if (parts.size() != f.targets().size()) {
            throw new JinjaException("chat template line " + f.line() + ": cannot unpack " + parts.size()
                    + " values into " + f.targets().size() + " loop variables");
        }
        for (int i = 0; i < parts.size(); i++) {
            scope.set(f.targets().get(i), parts.get(i));
        }
    }

    private void execSet(Ast.Set st, Scope scope) {
        Object value;
        if (st.value() != null) {
            value = eval(st.value(), scope);
        } else {
            StringBuilder sb = new StringBuilder();
            exec(st.body(), scope, sb);
            value = sb.toString();
        }
        if (st.namespace() != null) {
            Object ns = eval(st.namespace(), scope);
            if (!(ns instanceof Namespace n)) {
                throw new JinjaException("chat template line " + st.line() + ": cannot assign attribute on a "
                        + Py.typeName(ns) + " (only on namespace() objects)");
            }
            n.attrs.put(st.attr(), value);
            return;
        }
        if (st.names().size() == 1) {
            scope.set(st.names().get(0), value);
            return;
        }
        List<Object> parts = Py.iterate(value);
        if (parts.size() != st.names().size()) {
            throw new JinjaException("chat template line " + st.line() + ": cannot unpack " + parts.size()
                    + " values into " + st.names().size() + " names");
        }
        for (int i = 0; i < parts.size(); i++) {
            scope.set(st.names().get(i), parts.get(i));
        }
    }

    private Callable macro(Ast.Macro m, Scope defScope) {
        return (args, kw) -> {
            Scope s = new Scope(defScope);
            for (int i = 0; i < m.params().size(); i++) {
                String p = m.params().get(i);
                Object v;
                if (i < args.size()) {
                    v = args.get(i);
                } else if (kw.containsKey(p)) {
                    v = kw.get(p);
                } else if (m.defaults().get(i) != null) {
                    v = eval(m.defaults().get(i), s);
                } else {
                    v = Py.UNDEFINED;
                }
                s.set(p, v);
            }
            if (kw.containsKey("caller")) {
                s.set("caller", kw.get("caller"));
            }
            StringBuilder sb = new StringBuilder();
            exec(m.body(), s, sb);
            return sb.toString();
        };
    }

    // ---- expressions ----

    private List<Object> evalAll(List<Expr> exprs, Scope scope) {
        List<Object> out = new ArrayList<>(exprs.size());
        for (Expr e : exprs) {
            out.add(eval(e, scope));
        }
        return out;
    }

    private Map<String, Object> evalKw(List<String> names, List<Expr> values, Scope scope) {
        Map<String, Object> kw = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            kw.put(names.get(i), eval(values.get(i), scope));
        }
        return kw;
    }

    Object eval(Expr e, Scope scope) {
        if (e instanceof Ast.Literal l) {
            return l.value();
        }
        if (e instanceof Ast.Name n) {
            return scope.lookup(n.name());
        }
        if (e instanceof Ast.Attr a) {
            return getAttr(eval(a.target(), scope), a.name(), a.line());
        }
        if (e instanceof Ast.Item it) {
            return getItem(eval(it.target(), scope), eval(it.key(), scope), it.line());
        }
        if (e instanceof Ast.Slice sl) {
            return Py.slice(eval(sl.target(), scope), sl.start() == null ? null : eval(sl.start(), scope),
                    sl.stop() == null ? null : eval(sl.stop(), scope), sl.step() == null ? null : eval(sl.step(), scope));
        }
        if (e instanceof Ast.Binary b) {
            return binary(b, scope);
        }
        if (e instanceof Ast.Unary u) {
            Object v = eval(u.operand(), scope);
            return switch (u.op()) {
                case "not" -> !Py.truthy(v);
                case "-" -> v instanceof Double d ? (Object) (-d) : (Object) (-Py.toLong(v));
                default -> v;
            };
        }
        if (e instanceof Ast.Cond c) {
            if (Py.truthy(eval(c.test(), scope))) {
                return eval(c.then(), scope);
            }
            return c.orElse() == null ? Py.UNDEFINED : eval(c.orElse(), scope);
        }
        if (e instanceof Ast.ListExpr l) {
            return evalAll(l.items(), scope);
        }
        if (e instanceof Ast.DictExpr d) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (int i = 0; i < d.keys().size(); i++) {
                m.put(Py.str(eval(d.keys().get(i), scope)), eval(d.values().get(i), scope));
            }
            return m;
        }
        if (e instanceof Ast.Call c) {
            Object fn = eval(c.fn(), scope);
            return invoke(fn, evalAll(c.args(), scope), evalKw(c.kwNames(), c.kwValues(), scope), c.line());
        }
        if (e instanceof Ast.Filter f) {
            Object target = eval(f.target(), scope);
            return applyFilter(f.name(), target, evalAll(f.args(), scope), evalKw(f.kwNames(), f.kwValues(), scope),
                    f.line());
        }
        if (e instanceof Ast.Test t) {
            boolean r = applyTest(t.name(), eval(t.target(), scope), evalAll(t.args(), scope), t.line(), t, scope);
            return t.negated() != r;
        }
        throw new JinjaException("cannot evaluate " + e);
    }

    private static Object invoke(Object fn, List<Object> args, Map<String, Object> kw, int line) {
        if (fn instanceof Callable c) {
            return c.call(args, kw);
        }
        throw new JinjaException("chat template line " + line + ": " + Py.typeName(fn) + " object is not callable");
    }

    private Object binary(Ast.Binary b, Scope scope) {
        switch (b.op()) {
            case "and": {
                Object l = eval(b.left(), scope);
                return Py.truthy(l) ? eval(b.right(), scope) : l;
            }
            case "or": {
                Object l = eval(b.left(), scope);
                return Py.truthy(l) ? l : eval(b.right(), scope);
            }
            default:
                break;
        }
        Object l = eval(b.left(), scope);
        Object r = eval(b.right(), scope);
        switch (b.op()) {
            case "==":
                return Py.eq(l, r);
            case "!=":
                return !Py.eq(l, r);
            case "<":
                return Py.compare(l, r) < 0;
            case ">":
                return Py.compare(l, r) > 0;
            case "<=":
                return Py.compare(l, r) <= 0;
            case ">=":
                return Py.compare(l, r) >= 0;
            case "in":
                return Py.contains(r, l);
            case "not in":
                return !Py.contains(r, l);
            case "~":
                return Py.str(l) + Py.str(r);
            case "+":
                if (l instanceof String || r instanceof String) {
                    if (l instanceof String && r instanceof String) {
                        return (String) l + r;
                    }
                    return Py.str(l) + Py.str(r);
                }
                if (l instanceof List<?> la && r instanceof List<?> lb) {
                    List<Object> out = new ArrayList<>(la);
                    out.addAll(lb);
                    return out;
                }
                return arith(b, l, r);
            case "*":
                if (l instanceof String s && r instanceof Long n) {
                    return s.repeat((int) Math.max(0, n));
                }
                if (l instanceof List<?> la && r instanceof Long n) {
                    List<Object> out = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        out.addAll(la);
                    }
                    return out;
                }
                return arith(b, l, r);
            default:
                return arith(b, l, r);
        }
    }

    private static Object arith(Ast.Binary b, Object l, Object r) {
        if (!Py.isNumber(l) || !Py.isNumber(r)) {
            throw new JinjaException("chat template line " + b.line() + ": unsupported operand types for " + b.op()
                    + ": " + Py.typeName(l) + " and " + Py.typeName(r));
        }
        boolean dbl = l instanceof Double || r instanceof Double;
        switch (b.op()) {
            case "+":
                return dbl ? (Object) (Py.toDouble(l) + Py.toDouble(r)) : (Object) (Py.toLong(l) + Py.toLong(r));
            case "-":
                return dbl ? (Object) (Py.toDouble(l) - Py.toDouble(r)) : (Object) (Py.toLong(l) - Py.toLong(r));
            case "*":
                return dbl ? (Object) (Py.toDouble(l) * Py.toDouble(r)) : (Object) (Py.toLong(l) * Py.toLong(r));
            case "/":
                return Py.toDouble(l) / Py.toDouble(r);
            case "//":
                if (dbl) {
                    return Math.floor(Py.toDouble(l) / Py.toDouble(r));
                }
                return Math.floorDiv(Py.toLong(l), Py.toLong(r));
            case "%":
                if (dbl) {
                    double a = Py.toDouble(l);
                    double m = Py.toDouble(r);
                    return a - m * Math.floor(a / m);
                }
                return Math.floorMod(Py.toLong(l), Py.toLong(r));
            case "**":
                double p = Math.pow(Py.toDouble(l), Py.toDouble(r));
                return dbl || Py.toLong(r) < 0 ? (Object) p : (Object) (long) p;
            default:
                throw new JinjaException("unknown operator " + b.op());
        }
    }

    static Object getItem(Object target, Object key, int line) {
        if (target instanceof List<?> l && (key instanceof Long || key instanceof Boolean)) {
            long i = Py.toLong(key);
            if (i < 0) {
                i += l.size();
            }
            return i >= 0 && i < l.size() ? l.get((int) i) : Py.UNDEFINED;
        }
        if (target instanceof String s && key instanceof Long) {
            Object r = Py.slice(s, key, Py.toLong(key) == -1 ? null : Py.toLong(key) + 1, null);
            return ((String) r).isEmpty() ? Py.UNDEFINED : r;
        }
        if (target instanceof Map<?, ?> m) {
            Object k = key instanceof String ? key : Py.str(key);
            return m.containsKey(k) ? m.get(k) : Py.UNDEFINED;
        }
        if (target instanceof Namespace n && key instanceof String k) {
            return n.attrs.getOrDefault(k, Py.UNDEFINED);
        }
        if (key instanceof String k) {
            return getAttr(target, k, line);
        }
        return Py.UNDEFINED;
    }

    static Object getAttr(Object target, String name, int line) {
        if (target instanceof Map<?, ?> m) {
            if (m.containsKey(name)) {
                return m.get(name);
            }
            Object method = Methods.bind(target, name);
            return method != null ? method : Py.UNDEFINED;
        }
        if (target instanceof Namespace n) {
            return n.attrs.getOrDefault(name, Py.UNDEFINED);
        }
        if (target == null) {
            throw new JinjaException("chat template line " + line + ": 'None' has no attribute '" + name + "'");
        }
        if (target == Py.UNDEFINED) {
            return Py.UNDEFINED;
        }
        Object method = Methods.bind(target, name);
        return method != null ? method : Py.UNDEFINED;
    }

    // ---- filters and tests ----

    private Object applyFilter(String name, Object v, List<Object> args, Map<String, Object> kw, int line) {
        Object r = Filters.apply(this, name, v, args, kw);
        if (r == Filters.UNKNOWN) {
            throw new JinjaException("chat template line " + line + ": unknown filter '" + name + "'");
        }
        return r;
    }

    private boolean applyTest(String name, Object v, List<Object> args, int line, Ast.Test t, Scope scope) {
        switch (name) {
            case "defined":
                return v != Py.UNDEFINED;
            case "undefined":
                return v == Py.UNDEFINED;
            case "none":
                return v == null;
            case "string":
                return v instanceof String;
            case "number":
                return v instanceof Long || v instanceof Double;
            case "integer":
                return v instanceof Long;
            case "float":
                return v instanceof Double;
            case "boolean":
                return v instanceof Boolean;
            case "true":
                return Boolean.TRUE.equals(v);
            case "false":
                return Boolean.FALSE.equals(v);
            case "mapping":
                return v instanceof Map;
            case "sequence":
                return v instanceof List || v instanceof String || v instanceof Map;
            case "iterable":
                return v instanceof List || v instanceof String || v instanceof Map;
            case "callable":
                return v instanceof Callable;
            case "odd":
                return Py.toLong(v) % 2 != 0;
            case "even":
                return Py.toLong(v) % 2 == 0;
            case "divisibleby":
                return Py.toLong(v) % Py.toLong(args.get(0)) == 0;
            case "equalto", "eq", "==", "sameas":
                return Py.eq(v, args.get(0));
            case "ne", "!=":
                return !Py.eq(v, args.get(0));
            case "gt", "greaterthan":
                return Py.compare(v, args.get(0)) > 0;
            case "ge":
                return Py.compare(v, args.get(0)) >= 0;
            case "lt", "lessthan":
                return Py.compare(v, args.get(0)) < 0;
            case "le":
                return Py.compare(v, args.get(0)) <= 0;
            case "in":
                return Py.contains(args.get(0), v);
            case "lower":
                return v instanceof String s && s.equals(s.toLowerCase(Locale.ROOT));
            case "upper":
                return v instanceof String s && s.equals(s.toUpperCase(Locale.ROOT));
            default:
                throw new JinjaException("chat template line " + line + ": unknown test '" + name + "'");
        }
    }

    boolean test(String name, Object v, List<Object> args) {
        return applyTest(name, v, args, 0, null, null);
    }

    static Comparator<Object> comparator() {
        return Py::compare;
    }
}
