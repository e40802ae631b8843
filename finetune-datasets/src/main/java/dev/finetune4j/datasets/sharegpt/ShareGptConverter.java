package dev.finetune4j.datasets.sharegpt;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.Example;
import dev.finetune4j.data.KtoExample;
import dev.finetune4j.data.Message;
import dev.finetune4j.data.PreferenceExample;
import dev.finetune4j.data.Role;
import dev.finetune4j.datasets.Columns;
import dev.finetune4j.datasets.RecordLayout;
import dev.finetune4j.datasets.Tags;
import dev.finetune4j.datasets.json.Fields;
import dev.finetune4j.datasets.json.Json;
import dev.finetune4j.datasets.json.RecordContext;
import dev.finetune4j.datasets.json.RecordConverter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * ShareGPT records → examples, with LLaMA-Factory's rules (FORMATS.md A.6/A.7): an optional leading system
 * message, then prompt-side roles (user, observation) at even positions and model-side roles (assistant,
 * function call) at odd ones; an even count (odd for preference pairs, whose answers are in chosen/rejected).
 * What LLaMA-Factory drops with a warning or crashes on is a problem here, naming the message and the rule.
 */
public final class ShareGptConverter implements RecordConverter {
    public static final String RULE_MESSAGES = "sharegpt-messages";
    public static final String RULE_MESSAGE = "sharegpt-message";
    public static final String RULE_ROLE = "sharegpt-role";
    public static final String RULE_COUNT = "sharegpt-count";
    public static final String RULE_CONTENT = "sharegpt-content";
    public static final String RULE_PAIR = "sharegpt-chosen-rejected";
    public static final String RULE_KTO = "kto-tag";
    public static final String RULE_SYSTEM = "sharegpt-system";

    private final Columns columns;
    private final Tags fixedTags;
    private final Boolean ranking;

    public ShareGptConverter(RecordLayout layout) {
        Objects.requireNonNull(layout, "layout");
        this.columns = layout.columns();
        this.fixedTags = layout.tags();
        this.ranking = layout.ranking();
    }

    @Override
    public String name() {
        return "sharegpt";
    }

    @Override
    public Example convert(JsonNode rec, RecordContext ctx) {
        String key = columns.messages();
        if (key == null) {
            key = rec.has("conversations") ? "conversations" : "messages";
        }
        JsonNode msgs = rec.get(key);
        if (msgs == null || msgs.isNull()) {
            String hint = rec.has("instruction") || rec.has("output")
                    ? "; it looks like Alpaca: use --format alpaca (formatting: alpaca)"
                    : columns.messages() == null ? "" : "; set columns.messages to the key that holds the messages";
            ctx.problem(key, RULE_MESSAGES, "no '" + key + "' column (the record has keys " + Json.keys(rec) + ")" + hint);
            return null;
        }
        if (!msgs.isArray()) {
            ctx.problem(key, RULE_MESSAGES, "must be an array of messages, got " + Json.kind(msgs));
            return null;
        }
        if (msgs.isEmpty()) {
            ctx.problem(key, RULE_MESSAGES, "has no messages");
            return null;
        }
        Tags tags = fixedTags != null ? fixedTags : guessTags(msgs.get(0));
        int start = 0;
        String system;
        JsonNode first = msgs.get(0);
        if (tags.systemTag() != null && first.isObject() && first.path(tags.roleTag()).isTextual()
                && first.get(tags.roleTag()).textValue().equals(tags.systemTag())) {
            start = 1;
            system = content(first, tags, key + "[0]", ctx);
        } else {
            system = Fields.optionalString(rec, columns.system(), ctx, RULE_SYSTEM);
        }
        String tools = Fields.tools(rec, columns.tools(), ctx);

        boolean pair = ranking != null ? ranking
                : columns.chosen() != null && columns.rejected() != null
                        && rec.has(columns.chosen()) && rec.has(columns.rejected());
        List<Message> messages = new ArrayList<>(msgs.size());
        boolean orderReported = false;
        for (int i = start; i < msgs.size(); i++) {
            String field = key + "[" + i + "]";
            Message m = message(msgs.get(i), tags, field, ctx, i == 0);
            if (m == null) {
                continue;
            }
            int pos = i - start;
            boolean wantModel = pos % 2 == 1;
            if (m.role().isModelSide() != wantModel && !orderReported) {
                orderReported = true;
                ctx.problem(field + "." + tags.roleTag(), RULE_ROLE, "role " + Json.quote(roleName(m.role(), tags))
                        + " at position " + (pos + 1) + (start == 1 ? " after the system message" : "") + "; expected "
                        + (wantModel ? tags.assistantTag() + " or " + tags.functionTag()
                                : tags.userTag() + " or " + tags.observationTag())
                        + " (turns alternate " + tags.userTag() + "/" + tags.assistantTag() + ")");
            }
            messages.add(m);
        }
        if (ctx.hasProblems()) {
            return null;
        }
        int n = messages.size();
        if (pair ? n % 2 != 1 : n % 2 != 0) {
            ctx.problem(key, RULE_COUNT, n == 0 ? "has only a system message and no turns"
                    : pair ? "a preference record's conversation must end with a " + tags.userTag() + " (or "
                            + tags.observationTag() + ") turn, the answers being in chosen/rejected; it has " + n
                            + " turns and ends with " + Json.quote(roleName(messages.get(n - 1).role(), tags))
                    : "must end with an " + tags.assistantTag() + " (or " + tags.functionTag() + ") turn; it has " + n
                            + " turns and ends with " + Json.quote(roleName(messages.get(n - 1).role(), tags)));
            return null;
        }
        Conversation conv = new Conversation(system, tools, messages);
        if (pair) {
            Message chosen = answer(rec, columns.chosen(), tags, ctx);
            Message rejected = answer(rec, columns.rejected(), tags, ctx);
            return ctx.hasProblems() ? null : new PreferenceExample(conv, chosen, rejected);
        }
        if (columns.ktoTag() != null && rec.has(columns.ktoTag())) {
            JsonNode tag = rec.get(columns.ktoTag());
            if (!tag.isBoolean()) {
                ctx.problem(columns.ktoTag(), RULE_KTO, "must be true or false, got " + Json.show(tag)
                        + " (LLaMA-Factory silently ignores a kto_tag that is not a JSON boolean)");
                return null;
            }
            return new KtoExample(conv, tag.booleanValue());
        }
        return conv;
    }

    /** from/value when the first message has "from", role/content when it has "role". */
    static Tags guessTags(JsonNode first) {
        if (first != null && first.isObject() && !first.has("from") && first.has("role")) {
            return Tags.OPENAI;
        }
        return Tags.SHAREGPT;
    }

    private static String roleName(Role r, Tags t) {
        return switch (r) {
            case USER -> t.userTag();
            case ASSISTANT -> t.assistantTag();
            case OBSERVATION -> t.observationTag();
            case FUNCTION_CALL -> t.functionTag();
        };
    }

    private static String content(JsonNode m, Tags tags, String field, RecordContext ctx) {
        JsonNode c = m.get(tags.contentTag());
        if (c == null) {
            ctx.problem(field, RULE_MESSAGE, "has no '" + tags.contentTag() + "' key (the message has keys "
                    + Json.keys(m) + ")");
            return null;
        }
        if (!c.isTextual()) {
            ctx.problem(field + "." + tags.contentTag(), RULE_CONTENT, "must be a string, got " + Json.kind(c));
            return null;
        }
        return c.textValue();
    }

    private Message message(JsonNode m, Tags tags, String field, RecordContext ctx, boolean first) {
        if (!m.isObject()) {
            ctx.problem(field, RULE_MESSAGE, "must be an object with '" + tags.roleTag() + "' and '" + tags.contentTag()
                    + "', got " + Json.kind(m));
            return null;
        }
        JsonNode r = m.get(tags.roleTag());
        if (r == null) {
            String hint = m.has("role") && !tags.roleTag().equals("role")
                    ? "; for role/content messages set tags role_tag: role, content_tag: content, user_tag: user,"
                            + " assistant_tag: assistant"
                    : m.has("from") && !tags.roleTag().equals("from")
                            ? "; for from/value messages leave role_tag and content_tag at their defaults" : "";
            ctx.problem(field, RULE_MESSAGE, "has no '" + tags.roleTag() + "' key (the message has keys " + Json.keys(m)
                    + ")" + hint);
            return null;
        }
        String content = content(m, tags, field, ctx);
        if (!r.isTextual()) {
            ctx.problem(field + "." + tags.roleTag(), RULE_ROLE, "must be a string, got " + Json.kind(r));
            return null;
        }
        String role = r.textValue();
        Role mapped;
        if (role.equals(tags.userTag())) {
            mapped = Role.USER;
        } else if (role.equals(tags.assistantTag())) {
            mapped = Role.ASSISTANT;
        } else if (role.equals(tags.observationTag())) {
            mapped = Role.OBSERVATION;
        } else if (role.equals(tags.functionTag())) {
            mapped = Role.FUNCTION_CALL;
        } else {
            String allowed = tags.userTag() + ", " + tags.assistantTag() + ", " + tags.observationTag() + ", "
                    + tags.functionTag() + (tags.systemTag() != null ? " (and " + tags.systemTag() + " first)" : "");
            ctx.problem(field + "." + tags.roleTag(), RULE_ROLE, role.equals(tags.systemTag()) && !first
                    ? "a " + Json.quote(role) + " message is only allowed as the first message"
                    : "invalid role tag " + Json.quote(role) + "; expected one of " + allowed);
            return null;
        }
        if (content == null) {
            return null;
        }
        if (mapped == Role.FUNCTION_CALL) {
            String err = Fields.jsonError(content);
            if (err != null) {
                ctx.problem(field + "." + tags.contentTag(), Fields.FUNCTION_CALL_RULE, "a " + tags.functionTag()
                        + " message must hold JSON {\"name\": ..., \"arguments\": ...} (" + err + ")");
                return null;
            }
        }
        return new Message(mapped, content);
    }

    private Message answer(JsonNode rec, String key, Tags tags, RecordContext ctx) {
        JsonNode a = rec.get(key);
        if (a == null || !a.isObject()) {
            ctx.problem(key, RULE_PAIR, "must be a message object {\"" + tags.roleTag() + "\": \"" + tags.assistantTag()
                    + "\", \"" + tags.contentTag() + "\": ...}, got " + Json.kind(a));
            return null;
        }
        Message m = message(a, tags, key, ctx, false);
        if (m != null && !m.role().isModelSide()) {
            ctx.problem(key + "." + tags.roleTag(), RULE_PAIR, "must be an " + tags.assistantTag() + " or "
                    + tags.functionTag() + " message, got " + Json.quote(roleName(m.role(), tags)));
            return null;
        }
        return m;
    }
}
