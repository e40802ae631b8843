package dev.finetune4j.datasets.siliconflow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.DatasetProblem;
import dev.finetune4j.data.Example;
import dev.finetune4j.data.Message;
import dev.finetune4j.data.Role;
import dev.finetune4j.datasets.json.Json;
import dev.finetune4j.datasets.json.RecordContext;
import dev.finetune4j.datasets.json.RecordConverter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * SiliconFlow fine-tuning JSONL → conversations, checking every rule of {@link SiliconFlowRule}: one leading
 * system message at most, then user/assistant pairs, contents non-empty strings. Each problem names its rule.
 */
public final class SiliconFlowConverter implements RecordConverter {
    public static final SiliconFlowConverter INSTANCE = new SiliconFlowConverter();

    @Override
    public String name() {
        return "siliconflow";
    }

    @Override
    public String syntaxRule() {
        return SiliconFlowRule.JSONL.id();
    }

    @Override
    public boolean jsonLinesOnly() {
        return true;
    }

    @Override
    public List<DatasetProblem> checkFile(Path file) {
        String name = file.getFileName().toString();
        if (!name.endsWith(".jsonl")) {
            return List.of(new DatasetProblem(file, 0, 0, 0, "", SiliconFlowRule.JSONL.id(),
                    "a SiliconFlow file must have the extension .jsonl"));
        }
        return List.of();
    }

    @Override
    public Example convert(JsonNode rec, RecordContext ctx) {
        JsonNode msgs = rec.get("messages");
        if (msgs == null) {
            ctx.problem("messages", SiliconFlowRule.MESSAGES.id(), "no 'messages' key (the object has keys "
                    + Json.keys(rec) + ")");
            return null;
        }
        if (!msgs.isArray()) {
            ctx.problem("messages", SiliconFlowRule.MESSAGES.id(), "must be an array, got " + Json.kind(msgs));
            return null;
        }
        if (msgs.isEmpty()) {
            ctx.problem("messages", SiliconFlowRule.MESSAGES.id(), "must not be empty");
            return null;
        }
        int n = msgs.size();
        String[] roles = new String[n];
        String[] contents = new String[n];
        boolean wellFormed = true;
        for (int i = 0; i < n; i++) {
            JsonNode m = msgs.get(i);
            String field = "messages[" + i + "]";
            if (!m.isObject()) {
                ctx.problem(field, SiliconFlowRule.ROLE_CONTENT.id(), "must be an object with 'role' and 'content', got "
                        + Json.kind(m));
                wellFormed = false;
                continue;
            }
            JsonNode role = m.get("role");
            JsonNode content = m.get("content");
            if (role == null || content == null) {
                ctx.problem(field, SiliconFlowRule.ROLE_CONTENT.id(), "has no '" + (role == null ? "role" : "content")
                        + "' key (the message has keys " + Json.keys(m) + ")");
                wellFormed = false;
                continue;
            }
            if (!role.isTextual() || !isRole(role.textValue())) {
                ctx.problem(field + ".role", SiliconFlowRule.ROLES.id(), "role " + Json.show(role)
                        + " is not allowed; use system, user or assistant");
                wellFormed = false;
            } else {
                roles[i] = role.textValue();
            }
            if (!content.isTextual()) {
                ctx.problem(field + ".content", SiliconFlowRule.CONTENT_STRING.id(), "must be a string, got "
                        + Json.kind(content));
            } else if (content.textValue().isBlank()) {
                ctx.problem(field + ".content", SiliconFlowRule.CONTENT_STRING.id(), "is empty");
            } else {
                contents[i] = content.textValue();
            }
        }
        if (wellFormed) {
            checkOrder(roles, ctx);
        }
        if (ctx.hasProblems()) {
            return null;
        }
        String system = "";
        int start = 0;
        if (roles[0].equals("system")) {
            system = contents[0];
            start = 1;
        }
        List<Message> messages = new ArrayList<>(n - start);
        for (int i = start; i < n; i++) {
            messages.add(new Message(roles[i].equals("user") ? Role.USER : Role.ASSISTANT, contents[i]));
        }
        return new Conversation(system, "", messages);
    }

    private static boolean isRole(String r) {
        return r.equals("system") || r.equals("user") || r.equals("assistant");
    }

    /** Rules 5-7 on well-formed roles; reports the first break only (later ones follow from it). */
    private static void checkOrder(String[] roles, RecordContext ctx) {
        int n = roles.length;
        int start = roles[0].equals("system") ? 1 : 0;
        for (int i = start; i < n; i++) {
            if (roles[i].equals("system")) {
                ctx.problem("messages[" + i + "].role", SiliconFlowRule.SYSTEM_FIRST.id(), i == 1 && start == 1
                        ? "a second system message; only one system message is allowed, first"
                        : "a system message at position " + (i + 1) + "; a system message may only come first");
                return;
            }
        }
        if (start == n) {
            ctx.problem("messages", SiliconFlowRule.PAIRS.id(), "only a system message; at least one user/assistant pair"
                    + " is needed");
            return;
        }
        if (!roles[start].equals("user")) {
            ctx.problem("messages[" + start + "].role", SiliconFlowRule.USER_FIRST.id(), "the first "
                    + (start == 1 ? "message after the system message" : "message") + " is from " + Json.quote(roles[start])
                    + "; it must be from the user");
            return;
        }
        for (int i = start; i < n; i++) {
            String want = (i - start) % 2 == 0 ? "user" : "assistant";
            if (!roles[i].equals(want)) {
                ctx.problem("messages[" + i + "].role", SiliconFlowRule.PAIRS.id(), "two " + roles[i]
                        + " messages in a row; user and assistant must alternate (expected " + want + ")");
                return;
            }
        }
        if ((n - start) % 2 != 0) {
            ctx.problem("messages[" + (n - 1) + "]", SiliconFlowRule.PAIRS.id(),
                    "the last message is from the user; every user message needs an assistant answer");
        }
    }
}
