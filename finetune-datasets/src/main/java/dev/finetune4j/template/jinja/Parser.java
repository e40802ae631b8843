package dev.finetune4j.template.jinja;

import dev.finetune4j.template.jinja.Ast.Expr;
import dev.finetune4j.template.jinja.Ast.Stmt;
import dev.finetune4j.template.jinja.Token.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Recursive-descent parser for the Jinja subset chat templates use (operator precedence as Jinja2's). */
final class Parser {
    private final List<Token> tokens;
    private int pos;

    private Parser(List<Token> tokens) {
        this.tokens = tokens;
    }

    static List<Stmt> parse(String template) {
        Parser p = new Parser(Lexer.tokenize(template));
        List<Stmt> body = p.parseBody(Set.of());
        if (p.peek().kind() != Kind.EOF) {
            throw p.error("unexpected " + p.peek());
        }
        return body;
    }

    private Token peek() {
        return tokens.get(pos);
    }

    private Token peek(int ahead) {
        return tokens.get(Math.min(pos + ahead, tokens.size() - 1));
    }

    private Token next() {
        return tokens.get(pos++);
    }

    private JinjaException error(String msg) {
        return new JinjaException("chat template line " + peek().line() + ": " + msg);
    }

    private void expectOp(String op) {
        if (!peek().isOp(op)) {
            throw error("expected '" + op + "' but found " + peek());
        }
        pos++;
    }

    private String expectName() {
        if (peek().kind() != Kind.NAME) {
            throw error("expected a name but found " + peek());
        }
        return next().text();
    }

    private void expectKind(Kind k) {
        if (peek().kind() != k) {
            throw error("expected " + (k == Kind.BLOCK_END ? "'%}'" : "'}}'") + " but found " + peek());
        }
        pos++;
    }

    /** Parses statements until a block tag whose keyword is in {@code end} (left unconsumed) or EOF. */
    private List<Stmt> parseBody(Set<String> end) {
        List<Stmt> out = new ArrayList<>();
        while (true) {
            Token t = peek();
            switch (t.kind()) {
                case EOF -> {
                    if (!end.isEmpty()) {
                        throw error("missing {% " + String.join(" / ", end) + " %}");
                    }
                    return out;
                }
                case TEXT -> {
                    out.add(new Ast.Text(t.text()));
                    pos++;
                }
                case VAR_BEGIN -> {
                    pos++;
                    Expr e = parseExpression();
                    out.add(new Ast.Output(e, t.line()));
                    expectKind(Kind.VAR_END);
                }
                case BLOCK_BEGIN -> {
                    Token kw = peek(1);
                    if (kw.kind() == Kind.NAME && end.contains(kw.text())) {
                        return out;
                    }
                    pos++;
                    out.add(parseStatement());
                }
                default -> throw error("unexpected " + t);
            }
        }
    }

    private Stmt parseStatement() {
        int line = peek().line();
        String kw = expectName();
        switch (kw) {
            case "if": {
                return parseIf();
            }
            case "for": {
                List<String> targets = new ArrayList<>();
                boolean paren = peek().isOp("(");
                if (paren) {
                    pos++;
                }
                targets.add(expectName());
                while (peek().isOp(",")) {
                    pos++;
                    targets.add(expectName());
                }
                if (paren) {
                    expectOp(")");
                }
                if (!peek().isName("in")) {
                    throw error("expected 'in' in for loop");
                }
                pos++;
                Expr iterable = parseTernary(false);
                Expr filter = null;
                if (peek().isName("if")) {
                    pos++;
                    filter = parseTernary(true);
                }
                if (peek().isName("recursive")) {
                    throw error("recursive for loops are not supported");
                }
                expectKind(Kind.BLOCK_END);
                List<Stmt> body = parseBody(Set.of("endfor", "else"));
                List<Stmt> orElse = List.of();
                pos++; // BLOCK_BEGIN
                if (next().text().equals("else")) {
                    expectKind(Kind.BLOCK_END);
                    orElse = parseBody(Set.of("endfor"));
                    pos += 2;
                }
                expectKind(Kind.BLOCK_END);
                return new Ast.For(targets, iterable, filter, body, orElse, line);
            }
            case "set": {
                String first = expectName();
                if (peek().isOp(".")) {
                    pos++;
                    String attr = expectName();
                    expectOp("=");
                    Expr value = parseExpression();
                    expectKind(Kind.BLOCK_END);
                    return new Ast.Set(List.of(), new Ast.Name(first, line), attr, value, null, line);
                }
                List<String> names = new ArrayList<>(List.of(first));
                while (peek().isOp(",")) {
                    pos++;
                    names.add(expectName());
                }
                if (peek().isOp("=")) {
                    pos++;
                    Expr value = parseExpression();
                    expectKind(Kind.BLOCK_END);
                    return new Ast.Set(names, null, null, value, null, line);
                }
                expectKind(Kind.BLOCK_END);
                List<Stmt> body = parseBody(Set.of("endset"));
                pos += 2;
                expectKind(Kind.BLOCK_END);
                return new Ast.Set(names, null, null, null, body, line);
            }
            case "macro": {
                String name = expectName();
                expectOp("(");
                List<String> params = new ArrayList<>();
                List<Expr> defaults = new ArrayList<>();
                while (!peek().isOp(")")) {
                    params.add(expectName());
                    if (peek().isOp("=")) {
                        pos++;
                        defaults.add(parseExpression());
                    } else {
                        defaults.add(null);
                    }
                    if (peek().isOp(",")) {
                        pos++;
                    }
                }
                expectOp(")");
                expectKind(Kind.BLOCK_END);
                List<Stmt> body = parseBody(Set.of("endmacro"));
                pos += 2;
                expectKind(Kind.BLOCK_END);
                return new Ast.Macro(name, params, defaults, body);
            }
            case "call": {
                Expr call = parseExpression();
                expectKind(Kind.BLOCK_END);
                List<Stmt> body = parseBody(Set.of("endcall"));
                pos += 2;
                expectKind(Kind.BLOCK_END);
                return new Ast.CallBlock(call, body);
            }
            case "filter": {
                String name = expectName();
                List<Expr> args = new ArrayList<>();
                if (peek().isOp("(")) {
                    pos++;
                    while (!peek().isOp(")")) {
                        args.add(parseExpression());
                        if (peek().isOp(",")) {
                            pos++;
                        }
                    }
                    pos++;
                }
                expectKind(Kind.BLOCK_END);
                List<Stmt> body = parseBody(Set.of("endfilter"));
                pos += 2;
                expectKind(Kind.BLOCK_END);
                return new Ast.FilterBlock(name, args, body, line);
            }
            case "break": {
                expectKind(Kind.BLOCK_END);
                return new Ast.Break();
            }
            case "continue": {
                expectKind(Kind.BLOCK_END);
                return new Ast.Continue();
            }
            default:
                throw new JinjaException("chat template line " + line + ": unknown statement '" + kw + "'");
        }
    }

    private Stmt parseIf() {
        Expr test = parseExpression();
        expectKind(Kind.BLOCK_END);
        List<Stmt> body = parseBody(Set.of("elif", "else", "endif"));
        pos++; // BLOCK_BEGIN
        String kw = next().text();
        List<Stmt> orElse;
        if (kw.equals("elif")) {
            orElse = List.of(parseIf());
            return new Ast.If(test, body, orElse);
        } else if (kw.equals("else")) {
            expectKind(Kind.BLOCK_END);
            orElse = parseBody(Set.of("endif"));
            pos += 2;
        } else {
            orElse = List.of();
        }
        expectKind(Kind.BLOCK_END);
        return new Ast.If(test, body, orElse);
    }

    // ---- expressions ----

    Expr parseExpression() {
        return parseTernary(true);
    }

    private Expr parseTernary(boolean withCondExpr) {
        Expr e = parseOr();
        if (!withCondExpr) {
            return e;
        }
        while (peek().isName("if")) {
            pos++;
            Expr test = parseOr();
            Expr orElse = null;
            if (peek().isName("else")) {
                pos++;
                orElse = parseTernary(true);
            }
            e = new Ast.Cond(test, e, orElse);
        }
        return e;
    }

    private Expr parseOr() {
        Expr e = parseAnd();
        while (peek().isName("or")) {
            int line = next().line();
            e = new Ast.Binary("or", e, parseAnd(), line);
        }
        return e;
    }

    private Expr parseAnd() {
        Expr e = parseNot();
        while (peek().isName("and")) {
            int line = next().line();
            e = new Ast.Binary("and", e, parseNot(), line);
        }
        return e;
    }

    private Expr parseNot() {
        if (peek().isName("not")) {
            int line = next().line();
            return new Ast.Unary("not", parseNot(), line);
        }
        return parseCompare();
    }

    private Expr parseCompare() {
        Expr e = parseMath1();
        while (true) {
            Token t = peek();
            int line = t.line();
            if (t.kind() == Kind.OPERATOR && Set.of("==", "!=", "<", ">", "<=", ">=").contains(t.text())) {
                pos++;
                e = new Ast.Binary(t.text(), e, parseMath1(), line);
            } else if (t.isName("in")) {
                pos++;
                e = new Ast.Binary("in", e, parseMath1(), line);
            } else if (t.isName("not") && peek(1).isName("in")) {
                pos += 2;
                e = new Ast.Binary("not in", e, parseMath1(), line);
            } else {
                return e;
            }
        }
    }

    private Expr parseMath1() {
        Expr e = parseConcat();
        while (peek().isOp("+") || peek().isOp("-")) {
            Token t = next();
            e = new Ast.Binary(t.text(), e, parseConcat(), t.line());
        }
        return e;
    }

    private Expr parseConcat() {
        Expr e = parseMath2();
        while (peek().isOp("~")) {
            Token t = next();
            e = new Ast.Binary("~", e, parseMath2(), t.line());
        }
        return e;
    }

    private Expr parseMath2() {
        Expr e = parsePow();
        while (peek().isOp("*") || peek().isOp("/") || peek().isOp("//") || peek().isOp("%")) {
            Token t = next();
            e = new Ast.Binary(t.text(), e, parsePow(), t.line());
        }
        return e;
    }

    private Expr parsePow() {
        Expr e = parseUnary(true);
        while (peek().isOp("**")) {
            Token t = next();
            e = new Ast.Binary("**", e, parseUnary(true), t.line());
        }
        return e;
    }

    private Expr parseUnary(boolean withFilter) {
        Token t = peek();
        Expr e;
        if (t.isOp("-") || t.isOp("+")) {
            pos++;
            e = new Ast.Unary(t.text(), parseUnary(false), t.line());
        } else {
            e = parsePostfix(parsePrimary());
        }
        return withFilter ? parseFilterExpr(e) : e;
    }

    private Expr parsePrimary() {
        Token t = next();
        switch (t.kind()) {
            case STRING: {
                StringBuilder sb = new StringBuilder(t.text());
                while (peek().kind() == Kind.STRING) { // adjacent literals concatenate
                    sb.append(next().text());
                }
                return new Ast.Literal(sb.toString());
            }
            case INTEGER:
                return new Ast.Literal(Long.parseLong(t.text()));
            case FLOAT:
                return new Ast.Literal(Double.parseDouble(t.text()));
            case NAME:
                switch (t.text()) {
                    case "true", "True":
                        return new Ast.Literal(Boolean.TRUE);
                    case "false", "False":
                        return new Ast.Literal(Boolean.FALSE);
                    case "none", "None":
                        return new Ast.Literal(null);
                    default:
                        return new Ast.Name(t.text(), t.line());
                }
            case OPERATOR:
                if (t.text().equals("(")) {
                    if (peek().isOp(")")) {
                        pos++;
                        return new Ast.ListExpr(List.of());
                    }
                    Expr e = parseExpression();
                    if (peek().isOp(",")) { // tuple
                        List<Expr> items = new ArrayList<>(List.of(e));
                        while (peek().isOp(",")) {
                            pos++;
                            if (peek().isOp(")")) {
                                break;
                            }
                            items.add(parseExpression());
                        }
                        expectOp(")");
                        return new Ast.ListExpr(items);
                    }
                    expectOp(")");
                    return e;
                }
                if (t.text().equals("[")) {
                    List<Expr> items = new ArrayList<>();
                    while (!peek().isOp("]")) {
                        items.add(parseExpression());
                        if (peek().isOp(",")) {
                            pos++;
                        } else {
                            break;
                        }
                    }
                    expectOp("]");
                    return new Ast.ListExpr(items);
                }
                if (t.text().equals("{")) {
                    List<Expr> keys = new ArrayList<>();
                    List<Expr> values = new ArrayList<>();
                    while (!peek().isOp("}")) {
                        keys.add(parseExpression());
                        expectOp(":");
                        values.add(parseExpression());
                        if (peek().isOp(",")) {
                            pos++;
                        } else {
                            break;
                        }
                    }
                    expectOp("}");
                    return new Ast.DictExpr(keys, values);
                }
                break;
            default:
                break;
        }
        pos--;
        throw error("unexpected " + t + " in an expression");
    }

    private Expr parsePostfix(Expr e) {
        while (true) {
            Token t = peek();
            if (t.isOp(".")) {
                pos++;
                Token name = next();
                if (name.kind() != Kind.NAME && name.kind() != Kind.INTEGER) {
                    throw error("expected an attribute name after '.'");
                }
                e = new Ast.Attr(e, name.text(), t.line());
            } else if (t.isOp("[")) {
                pos++;
                e = parseSubscript(e, t.line());
            } else if (t.isOp("(")) {
                e = parseCall(e);
            } else {
                return e;
            }
        }
    }

    private Expr parseSubscript(Expr target, int line) {
        Expr start = null;
        if (!peek().isOp(":")) {
            start = parseExpression();
            if (peek().isOp("]")) {
                pos++;
                return new Ast.Item(target, start, line);
            }
        }
        expectOp(":");
        Expr stop = null;
        Expr step = null;
        if (!peek().isOp("]") && !peek().isOp(":")) {
            stop = parseExpression();
        }
        if (peek().isOp(":")) {
            pos++;
            if (!peek().isOp("]")) {
                step = parseExpression();
            }
        }
        expectOp("]");
        return new Ast.Slice(target, start, stop, step, line);
    }

    private Ast.Call parseCall(Expr fn) {
        int line = peek().line();
        expectOp("(");
        List<Expr> args = new ArrayList<>();
        List<String> kwNames = new ArrayList<>();
        List<Expr> kwValues = new ArrayList<>();
        parseArgs(args, kwNames, kwValues);
        return new Ast.Call(fn, args, kwNames, kwValues, line);
    }

    private void parseArgs(List<Expr> args, List<String> kwNames, List<Expr> kwValues) {
        while (!peek().isOp(")")) {
            if (peek().kind() == Kind.NAME && peek(1).isOp("=")) {
                kwNames.add(next().text());
                pos++;
                kwValues.add(parseExpression());
            } else {
                args.add(parseExpression());
            }
            if (peek().isOp(",")) {
                pos++;
            } else {
                break;
            }
        }
        expectOp(")");
    }

    private Expr parseFilterExpr(Expr e) {
        while (true) {
            Token t = peek();
            if (t.isOp("|")) {
                pos++;
                StringBuilder name = new StringBuilder(expectName());
                while (peek().isOp(".")) {
                    pos++;
                    name.append('.').append(expectName());
                }
                List<Expr> args = new ArrayList<>();
                List<String> kwNames = new ArrayList<>();
                List<Expr> kwValues = new ArrayList<>();
                if (peek().isOp("(")) {
                    pos++;
                    parseArgs(args, kwNames, kwValues);
                }
                e = new Ast.Filter(e, name.toString(), args, kwNames, kwValues, t.line());
            } else if (t.isName("is")) {
                pos++;
                boolean negated = false;
                if (peek().isName("not")) {
                    pos++;
                    negated = true;
                }
                Token nameTok = next();
                String name = nameTok.text();
                if (nameTok.kind() != Kind.NAME && !nameTok.isOp("==")) {
                    throw error("expected a test name after 'is'");
                }
                List<Expr> args = new ArrayList<>();
                if (peek().isOp("(")) {
                    pos++;
                    List<String> kwNames = new ArrayList<>();
                    parseArgs(args, kwNames, new ArrayList<>());
                } else {
                    Token a = peek();
                    boolean argStart = a.kind() == Kind.STRING || a.kind() == Kind.INTEGER || a.kind() == Kind.FLOAT
                            || a.isOp("[") || a.isOp("{")
                            || (a.kind() == Kind.NAME && !Set.of("else", "or", "and", "if", "is", "not", "in")
                                    .contains(a.text()));
                    if (argStart) {
                        args.add(parsePostfix(parsePrimary()));
                    }
                }
                e = new Ast.Test(e, name, args, negated, t.line());
            } else {
                return e;
            }
        }
    }
}
