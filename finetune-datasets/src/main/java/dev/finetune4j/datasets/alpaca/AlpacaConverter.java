package dev.finetune4j.datasets.alpaca;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.Example;
import dev.finetune4j.data.KtoExample;
import dev.finetune4j.data.Message;
import dev.finetune4j.data.PreferenceExample;
import dev.finetune4j.datasets.Columns;
import dev.finetune4j.datasets.RecordLayout;
import dev.finetune4j.datasets.json.Fields;
import dev.finetune4j.datasets.json.Json;
import dev.finetune4j.datasets.json.RecordContext;
import dev.finetune4j.datasets.json.RecordConverter;
import java.util.ArrayList;
import java.util.List;

/**
 * Alpaca records → examples, as LLaMA-Factory's converter (FORMATS.md A.5): history pairs first, then the user
 * turn = the non-empty of instruction and input joined with a newline, then the answer ({@code output}; or
 * {@code chosen}/{@code rejected} for a pair; or a KTO answer with its {@code kto_tag}). A record without an
 * answer is a prompt-only conversation (for prediction, or pre-training through its first turn).
 */
public final class AlpacaConverter implements RecordConverter {
    public static final String RULE_COLUMNS = "alpaca-columns";
    public static final String RULE_TYPE = "alpaca-string";
    public static final String RULE_HISTORY = "alpaca-history";
    public static final String RULE_PAIR = "alpaca-chosen-rejected";
    public static final String RULE_KTO = "kto-tag";

    private final Columns columns;
    private final Boolean ranking;

    public AlpacaConverter(RecordLayout layout) {
        this.columns = layout.columns();
        this.ranking = layout.ranking();
    }

    @Override
    public String name() {
        return "alpaca";
    }

    @Override
    public Example convert(JsonNode rec, RecordContext ctx) {
        if (!has(rec, columns.prompt()) && !has(rec, columns.query()) && !has(rec, columns.response())
                && !has(rec, columns.chosen())) {
            String hint = rec.has("conversations") || rec.has("messages")
                    ? "; it looks like ShareGPT: use --format sharegpt (formatting: sharegpt)" : "";
            ctx.problem("", RULE_COLUMNS, "none of the columns " + names() + " is in this record (it has keys "
                    + Json.keys(rec) + ")" + hint);
            return null;
        }
        String prompt = Fields.optionalString(rec, columns.prompt(), ctx, RULE_TYPE);
        String query = Fields.optionalString(rec, columns.query(), ctx, RULE_TYPE);
        String system = Fields.optionalString(rec, columns.system(), ctx, RULE_TYPE);
        String tools = Fields.tools(rec, columns.tools(), ctx);
        List<Message> messages = new ArrayList<>();
        if (columns.history() != null) {
            JsonNode h = rec.get(columns.history());
            if (h != null && h.isArray()) { // LLaMA-Factory ignores a history that is not a list
                for (int i = 0; i < h.size(); i++) {
                    JsonNode turn = h.get(i);
                    String field = columns.history() + "[" + i + "]";
                    if (!turn.isArray() || turn.size() != 2 || !turn.get(0).isTextual() || !turn.get(1).isTextual()) {
                        ctx.problem(field, RULE_HISTORY, "must be a [prompt, response] pair of strings, got "
                                + Json.show(turn));
                        continue;
                    }
                    messages.add(Message.user(turn.get(0).textValue()));
                    messages.add(Message.assistant(turn.get(1).textValue()));
                }
            }
        }
        if (ctx.hasProblems()) {
            return null;
        }
        String user = prompt.isEmpty() ? query : query.isEmpty() ? prompt : prompt + "\n" + query;
        messages.add(Message.user(user));
        Conversation prefix = new Conversation(system, tools, messages);

        if (columns.ktoTag() != null && rec.has(columns.ktoTag()) && !rec.get(columns.ktoTag()).isNull()) {
            JsonNode tag = rec.get(columns.ktoTag());
            if (!tag.isBoolean()) {
                ctx.problem(columns.ktoTag(), RULE_KTO, "must be true or false, got " + Json.show(tag)
                        + " (LLaMA-Factory silently ignores a kto_tag that is not a JSON boolean)");
                return null;
            }
            String answer = required(rec, columns.response(), ctx);
            return answer == null ? null : new KtoExample(withAnswer(prefix, answer), tag.booleanValue());
        }
        boolean pair = ranking != null ? ranking : has(rec, columns.chosen()) && has(rec, columns.rejected());
        if (pair) {
            String chosen = requiredPair(rec, columns.chosen(), ctx);
            String rejected = requiredPair(rec, columns.rejected(), ctx);
            if (chosen == null || rejected == null) {
                return null;
            }
            return new PreferenceExample(prefix, Message.assistant(chosen), Message.assistant(rejected));
        }
        String response = Fields.optionalString(rec, columns.response(), ctx, RULE_TYPE);
        if (response == null) {
            return null;
        }
        if (!has(rec, columns.response())) {
            return prefix; // unsupervised: a prompt without an answer
        }
        return withAnswer(prefix, response);
    }

    private String names() {
        StringBuilder b = new StringBuilder();
        for (String c : new String[] {columns.prompt(), columns.query(), columns.response()}) {
            if (c != null) {
                b.append(b.length() == 0 ? "" : ", ").append(c);
            }
        }
        return b.toString();
    }

    private static boolean has(JsonNode rec, String key) {
        return key != null && rec.has(key) && !rec.get(key).isNull();
    }

    private static Conversation withAnswer(Conversation prefix, String answer) {
        List<Message> ms = new ArrayList<>(prefix.messages());
        ms.add(Message.assistant(answer));
        return new Conversation(prefix.system(), prefix.tools(), ms);
    }

    private static String required(JsonNode rec, String key, RecordContext ctx) {
        if (!has(rec, key)) {
            ctx.problem(key == null ? "" : key, RULE_COLUMNS, "a KTO record needs its answer in '" + key + "'");
            return null;
        }
        return Fields.optionalString(rec, key, ctx, RULE_TYPE);
    }

    private static String requiredPair(JsonNode rec, String key, RecordContext ctx) {
        JsonNode n = key == null ? null : rec.get(key);
        if (n == null || !n.isTextual()) {
            ctx.problem(key == null ? "" : key, RULE_PAIR, "a preference record needs '" + key
                    + "' as a string, got " + Json.kind(n));
            return null;
        }
        return n.textValue();
    }
}
