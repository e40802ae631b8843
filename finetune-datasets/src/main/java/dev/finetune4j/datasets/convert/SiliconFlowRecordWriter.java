package dev.finetune4j.datasets.convert;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.Example;
import dev.finetune4j.data.Message;
import dev.finetune4j.data.Role;
import dev.finetune4j.datasets.json.Json;
import dev.finetune4j.datasets.siliconflow.SiliconFlowRule;

/**
 * SiliconFlow JSONL records: an optional leading system message, then user/assistant pairs. Tools, tool calls
 * and results, prompt-only conversations, empty contents, preference pairs and KTO examples cannot be written;
 * each is an error naming the SiliconFlow rule it would break.
 */
final class SiliconFlowRecordWriter implements RecordWriter {

    @Override
    public boolean jsonLinesOnly() {
        return true;
    }

    @Override
    public ObjectNode toRecord(Example e) throws Unrepresentable {
        if (!(e instanceof Conversation c)) {
            throw new Unrepresentable(RecordWriter.kind(e) + " has no SiliconFlow form: SiliconFlow JSONL holds"
                    + " only conversations");
        }
        if (c.hasTools()) {
            throw new Unrepresentable("it has tools, and SiliconFlow JSONL has no place for tools");
        }
        RecordWriter.requireUserAssistantTurns(c, "SiliconFlow JSONL (" + SiliconFlowRule.ROLES.id() + ")");
        if (c.messages().isEmpty() || !c.endsWithModelTurn()) {
            throw new Unrepresentable("the conversation does not end with an assistant answer ("
                    + SiliconFlowRule.PAIRS.id() + ": user and assistant come in pairs)");
        }
        ObjectNode o = Json.MAPPER.createObjectNode();
        ArrayNode a = o.putArray("messages");
        if (c.hasSystem()) {
            a.addObject().put("role", "system").put("content", c.system());
        }
        int i = 0;
        for (Message m : c.messages()) {
            i++;
            if (m.content().isBlank()) {
                throw new Unrepresentable("message " + i + " is empty (" + SiliconFlowRule.CONTENT_STRING.id() + ")");
            }
            a.addObject().put("role", m.role() == Role.USER ? "user" : "assistant").put("content", m.content());
        }
        return o;
    }
}
