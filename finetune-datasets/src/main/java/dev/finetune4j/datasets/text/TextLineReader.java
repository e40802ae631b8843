package dev.finetune4j.datasets.text;

import dev.finetune4j.data.TextDocument;
import dev.finetune4j.datasets.ParsedRecord;
import dev.finetune4j.datasets.RecordCursor;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * A {@code .txt} file: each line is one document (HuggingFace's text loader), read one line at a time. Blank
 * lines are skipped (an empty document would only add an end-of-text token).
 */
public final class TextLineReader implements RecordCursor {
    private final Path file;
    private final BufferedReader in;
    private long line;
    private long index;
    private ParsedRecord next;

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
