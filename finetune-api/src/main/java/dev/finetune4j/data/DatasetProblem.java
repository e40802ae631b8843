package dev.finetune4j.data;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One thing wrong with a dataset file, as a value the command line and tests can inspect. {@link #format()}
 * gives the one line a person reads: {@code PATH:LINE: record R, FIELD: message [rule]}.
 *
 * @param file    the file
 * @param line    1-based line where the record (or the syntax error) starts; 0 for a problem with the whole file
 * @param column  1-based column of a JSON syntax error, else 0
 * @param record  1-based index of the record in its file (the N-th record), or 0 when the problem is not about
 *                one record (a file-level or syntax problem before any record could be read)
 * @param field   the field, as a path such as {@code messages[2].role}, or {@code ""} for the whole record
 * @param rule    short name of the rule broken, e.g. {@code siliconflow-4-roles} or {@code json-syntax}
 * @param message what is wrong and, where it helps, what to change
 */
public record DatasetProblem(Path file, long line, int column, long record, String field, String rule,
        String message) {

    public DatasetProblem {
        Objects.requireNonNull(file, "file");
        field = field == null ? "" : field;
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(message, "message");
    }

    /** {@code PATH:LINE: record R, FIELD: message [rule]} (one line; no line number for a file-level problem). */
    public String format() {
        StringBuilder b = new StringBuilder(160);
        b.append(file);
        if (line > 0) {
            b.append(':').append(line);
        }
        b.append(": ");
        if (column > 0) {
            b.append("column ").append(column).append(", ");
        }
        if (record > 0) {
            b.append("record ").append(record);
            b.append(field.isEmpty() ? ": " : ", ");
        }
        if (!field.isEmpty()) {
            b.append(field).append(": ");
        }
        b.append(message.replace('\n', ' ')).append(" [").append(rule).append(']');
        return b.toString();
    }

    @Override
    public String toString() {
        return format();
    }
}
