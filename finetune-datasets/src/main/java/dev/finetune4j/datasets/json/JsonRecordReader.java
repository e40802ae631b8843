package dev.finetune4j.datasets.json;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.data.DatasetProblem;
import dev.finetune4j.data.Example;
import dev.finetune4j.datasets.ParsedRecord;
import dev.finetune4j.datasets.RecordCursor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Streams the records of a JSON file, one at a time: a top-level JSON array (read with Jackson's streaming
 * parser, one element tree at a time) or JSON Lines (read line by line as bytes). Which one is decided by the
 * first character of the file ({@code [} = array), as HuggingFace's JSON loader accepts both. Each record is
 * converted by a {@link RecordConverter}; problems carry file, line (and column for syntax errors), record
 * index and field. A syntax error inside a JSON array is fatal (nothing after it can be located); in JSON Lines
 * it spoils one line only.
 */
public final class JsonRecordReader implements RecordCursor {
    /** The rule named when a file holds no records at all. */
    public static final String RULE_NO_RECORDS = "no-records";
    private final Path file;
    private final RecordConverter converter;
    private final ArrayDeque<ParsedRecord> pending = new ArrayDeque<>();
    private final ByteLines lines;
    private final JsonParser arrayParser;
    private long index;
    private boolean done;

    private JsonRecordReader(Path file, RecordConverter converter, boolean array) throws IOException {
        this.file = file;
        this.converter = converter;
        for (DatasetProblem p : converter.checkFile(file)) {
            pending.add(new ParsedRecord(file, 0, 0, null, List.of(p), false));
        }
        InputStream in = Files.newInputStream(file);
        if (array) {
            if (converter.jsonLinesOnly()) {
                pending.add(fileProblem("the file is one JSON array; " + converter.name()
                        + " needs JSON Lines (one JSON object per line, no enclosing [ ])"));
            }
            lines = null;
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
            reader.mark(1);
            if (reader.read() != '\uFEFF') { // a UTF-8 byte order mark, as Windows editors write
                reader.reset();
            }
            arrayParser = Json.FACTORY.createParser(reader);
            try {
                JsonToken t = arrayParser.nextToken();
                if (t != JsonToken.START_ARRAY) {
                    throw new IllegalStateException("array mode on a file that does not start with [");
                }
            } catch (JsonProcessingException e) {
                syntaxError(e, 0);
            }
        } else {
            lines = new ByteLines(in);
            arrayParser = null;
        }
    }

    /** Opens {@code file}, deciding array or lines from its first non-blank character. */
    public static JsonRecordReader open(Path file, RecordConverter converter) throws IOException {
        return new JsonRecordReader(file, converter, startsWithArray(file));
    }

    /** True when the first character that is not white space (after a byte order mark) is {@code [}. */
    public static boolean startsWithArray(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] b = new byte[4096];
            boolean first = true;
            int n;
            while ((n = in.read(b)) > 0) {
                int i = 0;
                if (first && n >= 3 && (b[0] & 0xFF) == 0xEF && (b[1] & 0xFF) == 0xBB && (b[2] & 0xFF) == 0xBF) {
                    i = 3;
                }
                first = false;
                for (; i < n; i++) {
                    byte c = b[i];
                    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
                        return c == '[';
                    }
                }
            }
            return false;
        }
    }

    private ParsedRecord fileProblem(String message) {
        return new ParsedRecord(file, 0, 0, null,
                List.of(new DatasetProblem(file, 0, 0, 0, "", converter.syntaxRule(), message)), false);
    }

    @Override
    public boolean hasNext() {
        if (!pending.isEmpty()) {
            return true;
        }
        try {
            while (pending.isEmpty() && !done) { // a skipped blank line yields nothing: read on
                if (arrayParser != null) {
                    readArrayElement();
                } else {
                    readLine();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
        return !pending.isEmpty();
    }

    @Override
    public ParsedRecord next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        return pending.poll();
    }

    private void readLine() throws IOException {
        if (!lines.next()) {
            done = true;
            if (index == 0) {
                pending.add(noRecords());
            }
            return;
        }
        long line = lines.lineNumber();
        if (lines.blank()) {
            if (converter.jsonLinesOnly()) {
                index++;
                pending.add(new ParsedRecord(file, line, index, null, List.of(new DatasetProblem(file, line, 0, index, "",
                        converter.syntaxRule(), "blank line; every line must be one JSON object")), false));
            }
            return;
        }
        index++;
        byte[] buf = lines.buffer();
        int start = lines.start();
        int len = lines.length();
        JsonNode node;
        try (JsonParser p = Json.FACTORY.createParser(buf, start, len)) {
            node = Json.MAPPER.readTree(p);
            JsonToken extra = p.nextToken();
            if (extra != null) {
                int col = charColumn(buf, start, len, (int) p.currentTokenLocation().getByteOffset());
                pending.add(syntax(line, col, "more after the end of the JSON value (one JSON object per line)"));
                return;
            }
        } catch (JsonProcessingException e) {
            JsonLocation loc = e.getLocation();
            int col = loc == null ? 0 : errorColumn(charColumn(buf, start, len, (int) loc.getByteOffset()),
                    e.getOriginalMessage(), !endsToken(buf, start, len, (int) loc.getByteOffset()));
            pending.add(syntax(line, col, "JSON syntax error: " + clean(e.getOriginalMessage(), false)));
            return;
        }
        convert(node, line);
    }

    /**
     * The column to report: Jackson's location is the character where it noticed the error, except for an
     * unrecognized token, where it is past the token and the character ending it (or just past the token when
     * it ends the input: {@code terminated} false); that is moved back to the token's first character.
     */
    static int errorColumn(int noticed, String message, boolean terminated) {
        int col = noticed;
        String prefix = "Unrecognized token '";
        if (message != null && message.startsWith(prefix)) {
            int end = message.indexOf('\'', prefix.length());
            if (end > 0) {
                String token = message.substring(prefix.length(), end);
                col = noticed - token.codePointCount(0, token.length()) - (terminated ? 1 : 0);
            }
        }
        return Math.max(1, col);
    }

    /**
     * True when the byte before {@code byteOffset} belongs to a token (a letter, digit, {@code _}, {@code $} or part
     * of a non-ASCII character): Jackson stopped at the end of the line, not after consuming the character that
     * ended the token.
     */
    private static boolean endsToken(byte[] buf, int start, int len, int byteOffset) {
        if (byteOffset <= 0 || byteOffset > len) {
            return false;
        }
        int b = buf[start + byteOffset - 1] & 0xFF;
        return b >= 0x80 || Character.isLetterOrDigit(b) || b == '_' || b == '$';
    }

    private static final java.util.regex.Pattern SOURCE = java.util.regex.Pattern.compile(
            "\\[Source: [^\\]]*?; line: (\\d+), column: (\\d+)\\]");

    /** Jackson's message on one line, its "[Source: ...; line: L, column: C]" references made short. */
    static String clean(String message, boolean withLine) {
        String m = message == null ? "" : message.replace('\n', ' ');
        return SOURCE.matcher(m).replaceAll(withLine ? "line $1, column $2" : "column $2");
    }

    /** 1-based column in characters of a byte offset within one line (Jackson counts bytes). */
    private static int charColumn(byte[] buf, int start, int len, int byteOffset) {
        if (byteOffset < 0) {
            return 0;
        }
        int n = Math.min(byteOffset, len);
        int chars = 0;
        for (int i = start; i < start + n; i++) {
            if ((buf[i] & 0xC0) != 0x80) { // count code points: skip UTF-8 continuation bytes
                chars++;
            }
        }
        return chars + 1;
    }

    private ParsedRecord syntax(long line, int column, String message) {
        return new ParsedRecord(file, line, index, null,
                List.of(new DatasetProblem(file, line, column, index, "", converter.syntaxRule(), message)), false);
    }

    private void readArrayElement() throws IOException {
        long line = 0;
        try {
            JsonToken t = arrayParser.nextToken();
            if (t == null) {
                done = true;
                JsonLocation l = arrayParser.currentLocation();
                pending.add(new ParsedRecord(file, l.getLineNr(), 0, null, List.of(new DatasetProblem(file, l.getLineNr(),
                        l.getColumnNr(), 0, "", converter.syntaxRule(), "JSON syntax error after record " + index
                                + ": the array is not closed (missing ] at the end of the file)")), true));
                return;
            }
            if (t == JsonToken.END_ARRAY) {
                done = true;
                if (index == 0) {
                    pending.add(noRecords());
                }
                JsonToken after = arrayParser.nextToken();
                if (after != null) {
                    JsonLocation l = arrayParser.currentTokenLocation();
                    index++;
                    pending.add(fatal(l.getLineNr(), l.getColumnNr(),
                            "more after the end of the JSON array (a .json file holds one array)"));
                }
                return;
            }
            index++;
            line = arrayParser.currentTokenLocation().getLineNr();
            JsonNode node = Json.MAPPER.readTree(arrayParser);
            convert(node, line);
        } catch (JsonProcessingException e) {
            syntaxError(e, line);
        }
    }

    /**
     * A syntax error in a JSON array ends the file. Inside an element it is that record's problem; between
     * elements (a missing comma or closing bracket) it belongs to no record: a problem with the file, placed
     * after the last record read, so that good records are neither blamed nor counted twice.
     *
     * @param recordLine the line where the element being read starts, or 0 when the error came between elements
     */
    private void syntaxError(JsonProcessingException e, long recordLine) {
        done = true;
        JsonLocation loc = e.getLocation();
        long line = loc != null && loc.getLineNr() > 0 ? loc.getLineNr() : recordLine;
        int col = loc != null && loc.getColumnNr() > 0 ? errorColumn(loc.getColumnNr(), e.getOriginalMessage(), true) : 0;
        String message = clean(e.getOriginalMessage(), true);
        if (recordLine > 0) {
            pending.add(fatal(line, col, "JSON syntax error: " + message));
            return;
        }
        String where = index == 0 ? "before the first record" : "after record " + index;
        pending.add(new ParsedRecord(file, line, 0, null, List.of(new DatasetProblem(file, line, col, 0, "",
                converter.syntaxRule(), "JSON syntax error " + where + ": " + message)), true));
    }

    /** An empty file (or one of blank lines, or {@code []}) is a problem with the file: there is nothing to train on. */
    private ParsedRecord noRecords() {
        return new ParsedRecord(file, 0, 0, null, List.of(new DatasetProblem(file, 0, 0, 0, "", RULE_NO_RECORDS,
                "the file holds no records")), false);
    }

    private ParsedRecord fatal(long line, int column, String message) {
        return new ParsedRecord(file, line, index, null,
                List.of(new DatasetProblem(file, line, column, index, "", converter.syntaxRule(), message)), true);
    }

    private void convert(JsonNode node, long line) {
        RecordContext ctx = new RecordContext(file, line, index);
        if (node == null || !node.isObject()) {
            ctx.problem("", converter.syntaxRule(), "the record is " + Json.kind(node) + ", not a JSON object");
            pending.add(new ParsedRecord(file, line, index, null, ctx.problems(), false));
            return;
        }
        Example e = converter.convert(node, ctx);
        if (ctx.hasProblems() || e == null) {
            if (!ctx.hasProblems()) {
                throw new IllegalStateException(converter.name() + " rejected a record without saying why");
            }
            pending.add(new ParsedRecord(file, line, index, null, ctx.problems(), false));
        } else {
            pending.add(ParsedRecord.valid(file, line, index, e));
        }
    }

    @Override
    public void close() throws IOException {
        if (arrayParser != null) {
            arrayParser.close();
        } else {
            lines.close();
        }
    }
}
