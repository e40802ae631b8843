package dev.finetune4j.template.jinja;

import dev.finetune4j.template.jinja.Token.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Splits a template into text and tag tokens. Whitespace handling is that of HuggingFace's chat-template
 * environments ({@code trim_blocks}, {@code lstrip_blocks}, no trailing newline, {@code -} whitespace
 * control), applied the way {@code @huggingface/jinja} does; {@code {% generation %}} markers are removed.
 */
final class Lexer {
    private static final Pattern LSTRIP = Pattern.compile("(?m)^[ \\t]*(\\{[#%-])");
    private static final Pattern TRIM = Pattern.compile("([#%-]})\\n");
    private static final Pattern GENERATION = Pattern.compile("(\\s*)\\{%(-?)\\s*(?:end)?generation\\s*(-?)%}(\\s*)",
            Pattern.DOTALL);
    private static final String[] OPERATORS = {"**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~",
        "<", ">", "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|"};

    private final String src;
    private final List<Token> out = new ArrayList<>();
    private int pos;
    private int line = 1;

    private Lexer(String src) {
        this.src = src;
    }

    static String preprocess(String template) {
        String t = template.endsWith("\n") ? template.substring(0, template.length() - 1) : template;
        t = LSTRIP.matcher(t).replaceAll("$1");
        t = TRIM.matcher(t).replaceAll("$1");
        return GENERATION.matcher(t).replaceAll(m -> java.util.regex.Matcher.quoteReplacement(
                (m.group(2).isEmpty() ? m.group(1) : "") + (m.group(3).isEmpty() ? m.group(4) : "")));
    }

    static List<Token> tokenize(String template) {
        Lexer l = new Lexer(preprocess(template));
        l.run();
        return l.out;
    }

    private void run() {
        boolean stripNext = false;
        StringBuilder text = new StringBuilder();
        while (pos < src.length()) {
            int open = nextOpen(pos);
            if (open < 0) {
                text.append(src, pos, src.length());
                pos = src.length();
                break;
            }
            text.append(src, pos, open);
            countLines(pos, open);
            pos = open;
            char kind = src.charAt(open + 1);
            boolean stripBefore = open + 2 < src.length() && src.charAt(open + 2) == '-';
            String chunk = text.toString();
            if (stripNext) {
                chunk = stripLeading(chunk);
            }
            if (stripBefore) {
                chunk = stripTrailing(chunk);
            }
            emitText(chunk);
            text.setLength(0);
            countLines(open, open + 2);
            pos = open + 2 + (stripBefore ? 1 : 0);
            if (kind == '#') {
                int end = src.indexOf("#}", pos);
                if (end < 0) {
                    throw new JinjaException("line " + line + ": unclosed comment");
                }
                stripNext = src.charAt(end - 1) == '-';
                countLines(pos, end + 2);
                pos = end + 2;
                continue;
            }
            out.add(new Token(kind == '{' ? Kind.VAR_BEGIN : Kind.BLOCK_BEGIN, kind == '{' ? "{{" : "{%", line));
            stripNext = lexTag(kind == '{' ? '}' : '%');
        }
        String chunk = text.toString();
        if (stripNext) {
            chunk = stripLeading(chunk);
        }
        emitText(chunk);
        out.add(new Token(Kind.EOF, "", line));
    }

    private int nextOpen(int from) {
        int i = from;
        while (true) {
            i = src.indexOf('{', i);
            if (i < 0 || i + 1 >= src.length()) {
                return -1;
            }
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') {
                return i;
            }
            i++;
        }
    }

    private void emitText(String chunk) {
        if (!chunk.isEmpty()) {
            out.add(new Token(Kind.TEXT, chunk, line));
        }
    }

    private void countLines(int from, int to) {
        for (int i = from; i < to && i < src.length(); i++) {
            if (src.charAt(i) == '\n') {
                line++;
            }
        }
    }

    private static String stripLeading(String s) {
        int i = 0;
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        return s.substring(i);
    }

    private static String stripTrailing(String s) {
        int i = s.length();
        while (i > 0 && Character.isWhitespace(s.charAt(i - 1))) {
            i--;
        }
        return s.substring(0, i);
    }

    /** Lexes the inside of a tag up to its closing delimiter; returns whether it ends with {@code -}. */
    private boolean lexTag(char close) {
        int depth = 0;
        while (true) {
            if (pos >= src.length()) {
                throw new JinjaException("line " + line + ": unclosed tag");
            }
            char c = src.charAt(pos);
            if (c == '\n') {
                line++;
                pos++;
                continue;
            }
            if (Character.isWhitespace(c)) {
                pos++;
                continue;
            }
            if (depth == 0) {
                if (c == '-' && pos + 2 < src.length() + 0 && src.startsWith(close + "}", pos + 1)) {
                    out.add(new Token(close == '}' ? Kind.VAR_END : Kind.BLOCK_END, close + "}", line));
                    pos += 3;
                    return true;
                }
                if (c == close && pos + 1 < src.length() && src.charAt(pos + 1) == '}') {
                    out.add(new Token(close == '}' ? Kind.VAR_END : Kind.BLOCK_END, close + "}", line));
                    pos += 2;
                    return false;
                }
            }
            if (c == '\'' || c == '"') {
                lexString(c);
                continue;
            }
            if (Character.isDigit(c)) {
                int start = pos;
                while (pos < src.length() && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
                    pos++;
                }
                boolean isFloat = false;
                if (pos + 1 < src.length() && src.charAt(pos) == '.' && Character.isDigit(src.charAt(pos + 1))) {
                    isFloat = true;
                    pos++;
                    while (pos < src.length() && Character.isDigit(src.charAt(pos))) {
                        pos++;
                    }
                }
                if (pos < src.length() && (src.charAt(pos) == 'e' || src.charAt(pos) == 'E')) {
                    int save = pos;
                    pos++;
                    if (pos < src.length() && (src.charAt(pos) == '+' || src.charAt(pos) == '-')) {
                        pos++;
                    }
                    if (pos < src.length() && Character.isDigit(src.charAt(pos))) {
                        isFloat = true;
                        while (pos < src.length() && Character.isDigit(src.charAt(pos))) {
                            pos++;
                        }
                    } else {
                        pos = save;
                    }
                }
                out.add(new Token(isFloat ? Kind.FLOAT : Kind.INTEGER, src.substring(start, pos).replace("_", ""), line));
                continue;
            }
            if (Character.isLetter(c) || c == '_') {
                int start = pos;
                while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
                    pos++;
                }
                out.add(new Token(Kind.NAME, src.substring(start, pos), line));
                continue;
            }
            String op = null;
            for (String o : OPERATORS) {
                if (src.startsWith(o, pos)) {
                    op = o;
                    break;
                }
            }
            if (op == null) {
                throw new JinjaException("line " + line + ": unexpected character '" + c + "' in a tag");
            }
            if (op.equals("(") || op.equals("[") || op.equals("{")) {
                depth++;
            } else if (op.equals(")") || op.equals("]") || op.equals("}")) {
                depth--;
            }
            out.add(new Token(Kind.OPERATOR, op, line));
            pos += op.length();
        }
    }

    private void lexString(char quote) {
        StringBuilder sb = new StringBuilder();
        int startLine = line;
        pos++;
        while (true) {
            if (pos >= src.length()) {
                throw new JinjaException("line " + startLine + ": unclosed string literal");
            }
            char c = src.charAt(pos++);
            if (c == quote) {
                break;
            }
            if (c == '\n') {
                line++;
            }
            if (c == '\\' && pos < src.length()) {
                char e = src.charAt(pos++);
                switch (e) {
                    case 'n' -> sb.append('\n');
                    case 't' -> sb.append('\t');
                    case 'r' -> sb.append('\r');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case '\\' -> sb.append('\\');
                    case '\'' -> sb.append('\'');
                    case '"' -> sb.append('"');
                    case 'u' -> {
                        sb.append((char) Integer.parseInt(src.substring(pos, pos + 4), 16));
                        pos += 4;
                    }
                    default -> sb.append('\\').append(e);
                }
                continue;
            }
            sb.append(c);
        }
        out.add(new Token(Kind.STRING, sb.toString(), startLine));
    }
}
