package dev.finetune4j.template.jinja;

import java.util.List;

/** The syntax tree of a Jinja template: statements and expressions. */
final class Ast {
    private Ast() {
    }

    interface Stmt {
    }

    interface Expr {
    }

    record Text(String text) implements Stmt {
    }

    record Output(Expr expr, int line) implements Stmt {
    }

    record If(Expr test, List<Stmt> body, List<Stmt> orElse) implements Stmt {
    }

    record For(List<String> targets, Expr iterable, Expr filter, List<Stmt> body, List<Stmt> orElse, int line)
            implements Stmt {
    }

    /** {@code set} to a name, several names (unpacking) or {@code ns.attr}; {@code value} null = block set. */
    record Set(List<String> names, Expr namespace, String attr, Expr value, List<Stmt> body, int line) implements Stmt {
    }

    record Macro(String name, List<String> params, List<Expr> defaults, List<Stmt> body) implements Stmt {
    }

    record CallBlock(Expr call, List<Stmt> body) implements Stmt {
    }

    record FilterBlock(String filter, List<Expr> args, List<Stmt> body, int line) implements Stmt {
    }

    record Break() implements Stmt {
    }

    record Continue() implements Stmt {
    }

    record Literal(Object value) implements Expr {
    }

    record Name(String name, int line) implements Expr {
    }

    record ListExpr(List<Expr> items) implements Expr {
    }

    record DictExpr(List<Expr> keys, List<Expr> values) implements Expr {
    }

    record Attr(Expr target, String name, int line) implements Expr {
    }

    record Item(Expr target, Expr key, int line) implements Expr {
    }

    record Slice(Expr target, Expr start, Expr stop, Expr step, int line) implements Expr {
    }

    record Call(Expr fn, List<Expr> args, List<String> kwNames, List<Expr> kwValues, int line) implements Expr {
    }

    record Filter(Expr target, String name, List<Expr> args, List<String> kwNames, List<Expr> kwValues, int line)
            implements Expr {
    }

    record Test(Expr target, String name, List<Expr> args, boolean negated, int line) implements Expr {
    }

    record Unary(String op, Expr operand, int line) implements Expr {
    }

    record Binary(String op, Expr left, Expr right, int line) implements Expr {
    }

    record Cond(Expr test, Expr then, Expr orElse) implements Expr {
    }
}
