package dev.finetune4j.datasets.text;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.data.Example;
import dev.finetune4j.data.TextDocument;
import dev.finetune4j.datasets.json.Json;
import dev.finetune4j.datasets.json.RecordContext;
import dev.finetune4j.datasets.json.RecordConverter;
import java.util.Objects;

/** JSON/JSONL pre-training records: the string in one column (default {@code text}) is a document. */
public final class TextConverter implements RecordConverter {
    public static final String RULE = "text-column";

    private final String column;

    public TextConverter(String column) {
        this.column = Objects.requireNonNull(column, "column");
    }

    @Override
    public String name() {
        return "text";
    }

    @Override
    public Example convert(JsonNode rec, RecordContext ctx) {
        JsonNode t = rec.get(column);
        if (t == null || t.isNull()) {
            ctx.problem(column, RULE, "no '" + column + "' column (the record has keys " + Json.keys(rec)
                    + "); name the text column (columns.prompt in dataset_info.json)");
            return null;
        }
        if (!t.isTextual()) {
            ctx.problem(column, RULE, "must be a string, got " + Json.kind(t));
            return null;
        }
        return new TextDocument(t.textValue());
    }
}
