package dev.finetune4j.datasets.json;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.data.DatasetProblem;
import dev.finetune4j.data.Example;
import java.nio.file.Path;
import java.util.List;

/** Turns one JSON record of a format into an example, reporting what is wrong with it. Stateless, thread-safe. */
public interface RecordConverter {

    /**
     * @return the example, or null when the record is invalid (then at least one problem was reported to
     *         {@code ctx})
     */
    Example convert(JsonNode record, RecordContext ctx);

    /** The format's name for descriptions, e.g. {@code alpaca}. */
    String name();

    /** The rule named by JSON syntax errors, blank lines and records that are not objects. */
    default String syntaxRule() {
        return "json-syntax";
    }

    /** True when every line must be one JSON object (no JSON array file, no blank lines). */
    default boolean jsonLinesOnly() {
        return false;
    }

    /** Problems with the file as a whole (e.g. its extension), before any record is read. */
    default List<DatasetProblem> checkFile(Path file) {
        return List.of();
    }
}
