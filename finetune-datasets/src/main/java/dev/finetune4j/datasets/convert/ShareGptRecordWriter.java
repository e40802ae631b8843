package dev.finetune4j.datasets.convert;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.Example;
import dev.finetune4j.data.Message;
import dev.finetune4j.data.PreferenceExample;
import dev.finetune4j.data.Role;
import dev.finetune4j.datasets.json.Json;

/**
 * ShareGPT records with LLaMA-Factory's default tags: {@code conversations} of {@code from}/{@code value}
 * (human, gpt, observation, function_call), the system prompt as a leading {@code system} message (which
 * LLaMA-Factory's default {@code system_tag} reads), {@code tools} as a JSON string (map it with
 * {@code columns: {tools: tools}}), and {@code chosen}/{@code rejected} message objects for preference pairs.
 */
final class ShareGptRecordWriter implements RecordWriter {

    @Override
    public ObjectNode toRecord(Example e) throws Unrepresentable {
        if (e instanceof Conversation c) {
            if (c.messages().isEmpty() || !c.endsWithModelTurn()) {
                throw new Unrepresentable("the conversation does not end with an answer, and ShareGPT records must"
                        + " (an even number of turns)");
            }
            return record(c);
        }
        if (e instanceof PreferenceExample p) {
            if (p.prompt().endsWithModelTurn()) {
                throw new Unrepresentable("the prompt of a preference pair ends with an answer");
            }
            ObjectNode o = record(p.prompt());
            o.set("chosen", message(p.chosen()));
            o.set("rejected", message(p.rejected()));
            return o;
        }
        throw new Unrepresentable(RecordWriter.kind(e) + " has no ShareGPT form in this writer");
    }

    private static ObjectNode record(Conversation c) throws Unrepresentable {
        String bad = c.validateTurns();
        if (bad != null) {
            throw new Unrepresentable(bad);
        }
        ObjectNode o = Json.MAPPER.createObjectNode();
        ArrayNode a = o.putArray("conversations");
        if (c.hasSystem()) {
            a.addObject().put("from", "system").put("value", c.system());
        }
        for (Message m : c.messages()) {
            a.add(message(m));
        }
        if (c.hasTools()) {
            o.put("tools", c.tools());
        }
        return o;
    }

    private static ObjectNode message(Message m) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("from", tag(m.role()));
        o.put("value", m.content());
        return o;
    }

    static String tag(Role r) {
        return switch (r) {
            case USER -> "human";
            case ASSISTANT -> "gpt";
            case OBSERVATION -> "observation";
            case FUNCTION_CALL -> "function_call";
        };
    }
}
