package dev.finetune4j.template.jinja;

/** One lexical token of a Jinja template. */
record Token(Kind kind, String text, int line) {
    enum Kind {
        TEXT, VAR_BEGIN, VAR_END, BLOCK_BEGIN, BLOCK_END, NAME, STRING, INTEGER, FLOAT, OPERATOR, EOF
    }

    boolean is(Kind k, String t) {
        return kind == k && text.equals(t);
    }

    boolean isOp(String t) {
        return kind == Kind.OPERATOR && text.equals(t);
    }

    boolean isName(String t) {
        return kind == Kind.NAME && text.equals(t);
    }

    @Override
    public String toString() {
        return kind == Kind.EOF ? "end of template" : "'" + text + "'";
    }
}
