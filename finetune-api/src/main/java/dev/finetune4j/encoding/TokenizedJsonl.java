package dev.finetune4j.encoding;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.finetune4j.FineTuneException;
import dev.finetune4j.data.EncodedExample;
import dev.finetune4j.io.AtomicFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Pre-tokenized datasets on disk (LLaMA-Factory's {@code tokenized_path}, the output of
 * {@code finetune preprocess}): one JSON object per line, {@code {"input_ids": [...], "labels": [...]}}, labels
 * -100 where there is no loss. Writing goes to a temporary file in the same folder, then an atomic rename.
 */
public final class TokenizedJsonl {
    private static final JsonFactory JSON = new JsonFactory();

    private TokenizedJsonl() {
    }

    /** Writes {@code examples} to {@code file} atomically; returns the number written. */
    public static int write(Path file, Iterable<EncodedExample> examples) throws IOException {
        return write(file, examples.iterator());
    }

    public static int write(Path file, Iterator<EncodedExample> examples) throws IOException {
        int[] n = {0};
        AtomicFiles.write(file, out -> {
            JsonGenerator g = JSON.createGenerator(out);
            g.setRootValueSeparator(null);
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            while (examples.hasNext()) {
                EncodedExample e = examples.next();
                g.writeStartObject();
                writeArray(g, "input_ids", e.inputIds());
                writeArray(g, "labels", e.labels());
                g.writeEndObject();
                g.writeRaw('\n');
                n[0]++;
            }
            g.flush();
        });
        return n[0];
    }

    private static void writeArray(JsonGenerator g, String name, int[] values) throws IOException {
        g.writeArrayFieldStart(name);
        for (int v : values) {
            g.writeNumber(v);
        }
        g.writeEndArray();
    }

    /**
     * Reads a file written by {@link #write}. Errors name the file, line and field.
     *
     * @throws FineTuneException on malformed content
     */
    public static List<EncodedExample> read(Path file) throws IOException {
        List<EncodedExample> out = new ArrayList<>();
        if (!Files.isRegularFile(file)) {
            throw new FineTuneException(file + ": tokenized dataset not found");
        }
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int lineNo = 0;
            while ((line = r.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                out.add(parseLine(file, lineNo, line));
            }
        }
        return out;
    }

    private static EncodedExample parseLine(Path file, int lineNo, String line) throws IOException {
        String where = file + ":" + lineNo;
        int[] ids = null;
        int[] labels = null;
        try (JsonParser p = JSON.createParser(line)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new FineTuneException(where + ": expected a JSON object with input_ids and labels");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                if (name.equals("input_ids") || name.equals("labels")) {
                    int[] v = readInts(p, where, name);
                    if (name.equals("input_ids")) {
                        ids = v;
                    } else {
                        labels = v;
                    }
                } else {
                    p.skipChildren();
                }
            }
        } catch (JsonParseException e) {
            throw new FineTuneException(where + ":" + e.getLocation().getColumnNr() + ": invalid JSON: "
                    + e.getOriginalMessage());
        }
        if (ids == null) {
            throw new FineTuneException(where + ": field input_ids is missing");
        }
        if (labels == null) {
            labels = ids.clone();
        }
        if (labels.length != ids.length) {
            throw new FineTuneException(where + ": labels has " + labels.length + " values but input_ids has "
                    + ids.length);
        }
        return new EncodedExample(ids, labels);
    }

    private static int[] readInts(JsonParser p, String where, String field) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw new FineTuneException(where + ": field " + field + " must be an array of integers");
        }
        int[] buf = new int[256];
        int n = 0;
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.VALUE_NUMBER_INT) {
                throw new FineTuneException(where + ": field " + field + " holds a non-integer value at index " + n);
            }
            if (n == buf.length) {
                buf = java.util.Arrays.copyOf(buf, n * 2);
            }
            buf[n++] = p.getIntValue();
        }
        return java.util.Arrays.copyOf(buf, n);
    }
}
