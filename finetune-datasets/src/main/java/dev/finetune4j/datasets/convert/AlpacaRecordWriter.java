package dev.finetune4j.datasets.convert;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.Example;
import dev.finetune4j.data.Message;
import dev.finetune4j.data.PreferenceExample;
import dev.finetune4j.datasets.json.Json;
import java.util.List;

/**
 * Alpaca records: the last user turn becomes {@code instruction} (with {@code input} empty: the reader joined
 * instruction and input with a newline, and that split cannot be recovered), the answer {@code output}, earlier
 * turns {@code history}, the system prompt {@code system}. Preference pairs keep {@code chosen}/{@code rejected}.
 */
final class AlpacaRecordWriter implements RecordWriter {

    @Override
    public ObjectNode toRecord(Example e) throws Unrepresentable {
        if (e instanceof Conversation c) {
            check(c);
            List<Message> ms = c.messages();
            boolean answered = c.endsWithModelTurn();
            int last = answered ? ms.size() - 2 : ms.size() - 1;
            ObjectNode o = base(c, last);
            if (answered) {
                o.put("output", ms.get(ms.size() - 1).content());
            }
            return finish(o, c, last);
        }
        if (e instanceof PreferenceExample p) {
            check(p.prompt());
            if (p.prompt().endsWithModelTurn()) {
                throw new Unrepresentable("the prompt of a preference pair ends with an answer");
            }
            for (Message m : List.of(p.chosen(), p.rejected())) {
                if (m.role() != dev.finetune4j.data.Role.ASSISTANT) {
                    throw new Unrepresentable("a chosen/rejected answer is " + RecordWriter.roleName(m.role())
                            + "; Alpaca answers are assistant text");
                }
            }
            int last = p.prompt().messages().size() - 1;
            ObjectNode o = base(p.prompt(), last);
            o.put("chosen", p.chosen().content());
            o.put("rejected", p.rejected().content());
            return finish(o, p.prompt(), last);
        }
        throw new Unrepresentable(RecordWriter.kind(e) + " has no Alpaca form");
    }

    private static void check(Conversation c) throws Unrepresentable {
        if (c.hasTools()) {
            throw new Unrepresentable("it has tools, and Alpaca has no tools column (convert to sharegpt instead)");
        }
        if (c.messages().isEmpty()) {
            throw new Unrepresentable("it has no messages");
        }
        RecordWriter.requireUserAssistantTurns(c, "Alpaca");
    }

    private static ObjectNode base(Conversation c, int userIndex) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("instruction", c.messages().get(userIndex).content());
        o.put("input", "");
        return o;
    }

    private static ObjectNode finish(ObjectNode o, Conversation c, int userIndex) {
        if (c.hasSystem()) {
            o.put("system", c.system());
        }
        if (userIndex > 0) {
            ArrayNode h = o.putArray("history");
            for (int i = 0; i < userIndex; i += 2) {
                h.addArray().add(c.messages().get(i).content()).add(c.messages().get(i + 1).content());
            }
        }
        return o;
    }
}
