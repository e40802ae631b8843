package dev.finetune4j.datasets.text;

import dev.finetune4j.data.DatasetProblem;
import dev.finetune4j.data.TextDocument;
import dev.finetune4j.datasets.ParsedRecord;
import dev.finetune4j.datasets.RecordCursor;
import dev.finetune4j.datasets.json.JsonRecordReader;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * A {@code .txt} file: each line is one document (HuggingFace's text loader), read one line at a time. Blank
 * lines are skipped (an empty document would only add an end-of-text token); a file without any document is a
 * problem with the file.
 */
public final class TextLineReader implements RecordCursor {
    private final Path file;
    private final BufferedReader in;
    private long line;
    private long index;
    private ParsedRecord next;
    private boolean reportedEmpty;

    public TextLineReader(Path file) throws IOException {
        this.file = file;
        this.in = Files.newBufferedReader(file, StandardCharsets.UTF_8);
    }

    @Override
    public boolean hasNext() {
        if (next != null) {
            return true;
        }
        try {
            String s;
            while ((s = in.readLine()) != null) {
                line++;
                if (line == 1 && !s.isEmpty() && s.charAt(0) == '\uFEFF') {
                    s = s.substring(1);
                }
                if (!s.isBlank()) {
                    index++;
                    next = ParsedRecord.valid(file, line, index, new TextDocument(s));
                    return true;
                }
            }
            if (index == 0 && !reportedEmpty) {
                reportedEmpty = true;
                next = new ParsedRecord(file, 0, 0, null, List.of(new DatasetProblem(file, 0, 0, 0, "",
                        JsonRecordReader.RULE_NO_RECORDS, "the file holds no records")), false);
                return true;
            }
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public ParsedRecord next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        ParsedRecord r = next;
        next = null;
        return r;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
