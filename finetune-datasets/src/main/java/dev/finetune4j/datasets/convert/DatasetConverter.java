package dev.finetune4j.datasets.convert;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune4j.FineTuneException;
import dev.finetune4j.data.DatasetProblem;
import dev.finetune4j.data.InvalidDatasetException;
import dev.finetune4j.datasets.DataFiles;
import dev.finetune4j.datasets.Dataset;
import dev.finetune4j.datasets.DatasetFormat;
import dev.finetune4j.datasets.ParsedRecord;
import dev.finetune4j.datasets.json.Json;
import dev.finetune4j.io.AtomicFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Converts a dataset to another format, streaming, into a file written atomically (a temporary file renamed at
 * the end): an invalid input record or an example the target cannot hold stops the conversion with an
 * {@link InvalidDatasetException} listing up to {@code maxProblems} of them, and no output file is left.
 * The output is JSON Lines when its name ends in {@code .jsonl} (always for SiliconFlow), else one JSON array.
 */
public final class DatasetConverter {
    /** Rule named by examples the target format cannot hold, e.g. {@code convert-siliconflow}. */
    public static final String RULE_PREFIX = "convert-";

    private DatasetConverter() {
    }

    /** @return the number of records written */
    public static long convert(Dataset in, DatasetFormat to, Path out) throws IOException {
        RecordWriter writer = RecordWriter.forFormat(to);
        boolean lines = DataFiles.extension(out).equals("jsonl");
        if (writer.jsonLinesOnly() && !lines) {
            throw new FineTuneException("a " + to + " file must be JSON Lines named .jsonl, not " + out.getFileName());
        }
        if (!lines && !DataFiles.extension(out).equals("json")) {
            throw new FineTuneException("the output " + out.getFileName() + " must end in .jsonl (one record per line)"
                    + " or .json (one array)");
        }
        int max = in.options().maxProblems();
        long[] written = {0};
        AtomicFiles.write(out, os -> {
            List<DatasetProblem> problems = new ArrayList<>();
            try (Stream<ParsedRecord> records = in.records(); JsonGenerator g = generator(os, lines)) {
                if (!lines) {
                    g.writeStartArray();
                }
                for (Iterator<ParsedRecord> it = records.iterator(); it.hasNext() && problems.size() < max;) {
                    ParsedRecord r = it.next();
                    if (!r.valid()) {
                        problems.addAll(r.problems());
                        if (r.fatal()) {
                            break;
                        }
                        continue;
                    }
                    ObjectNode o;
                    try {
                        o = writer.toRecord(r.example());
                    } catch (Unrepresentable u) {
                        problems.add(new DatasetProblem(r.file(), r.line(), 0, r.index(), "", RULE_PREFIX + to.id(),
                                "cannot be written as " + to + ": " + u.getMessage()));
                        continue;
                    }
                    if (problems.isEmpty()) {
                        g.writeTree(o);
                        if (lines) {
                            g.writeRaw('\n');
                        }
                        written[0]++;
                    }
                }
                if (!problems.isEmpty()) {
                    throw new InvalidDatasetException(problems.size() > max ? problems.subList(0, max) : problems);
                }
                if (!lines) {
                    g.writeEndArray();
                    g.writeRaw('\n');
                }
            }
        });
        return written[0];
    }

    private static JsonGenerator generator(OutputStream os, boolean lines) throws IOException {
        JsonGenerator g = Json.FACTORY.createGenerator(new NonClosing(os));
        if (lines) {
            g.setPrettyPrinter(new com.fasterxml.jackson.core.util.MinimalPrettyPrinter(""));
        } else {
            DefaultPrettyPrinter pp = new DefaultPrettyPrinter(com.fasterxml.jackson.core.util.Separators
                    .createDefaultInstance().withObjectFieldValueSpacing(
                            com.fasterxml.jackson.core.util.Separators.Spacing.AFTER))
                    .withObjectIndenter(new DefaultIndenter("  ", "\n"))
                    .withArrayIndenter(new DefaultIndenter("  ", "\n"));
            g.setPrettyPrinter(pp);
        }
        return g;
    }

    /** AtomicFiles closes the stream itself, after forcing it to disk. */
    private static final class NonClosing extends java.io.FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
