package dev.finetune4j.datasets.convert;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune4j.data.Example;
import dev.finetune4j.data.TextDocument;
import dev.finetune4j.datasets.json.Json;

/** Pre-training text as JSON records {@code {"text": ...}}; only text documents can be written. */
final class TextRecordWriter implements RecordWriter {
    @Override
    public ObjectNode toRecord(Example e) throws Unrepresentable {
        if (!(e instanceof TextDocument d)) {
            throw new Unrepresentable(RecordWriter.kind(e) + " is not a text document");
        }
        return Json.MAPPER.createObjectNode().put("text", d.text());
    }
}
