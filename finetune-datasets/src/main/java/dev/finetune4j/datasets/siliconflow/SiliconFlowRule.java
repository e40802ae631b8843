package dev.finetune4j.datasets.siliconflow;

/**
 * The rules of SiliconFlow's fine-tuning JSONL (FORMATS.md §B), each with the name problems carry, e.g.
 * {@code siliconflow-4-roles}.
 */
public enum SiliconFlowRule {
    /** Rule 1: the file ends in {@code .jsonl}; every line is one independent, complete JSON object. */
    JSONL(1, "jsonl", "the file is .jsonl and every line is one complete JSON object"),
    /** Rule 2: the object has key {@code messages}: a non-empty array. */
    MESSAGES(2, "messages", "each object has a non-empty 'messages' array"),
    /** Rule 3: every element has {@code role} and {@code content}. */
    ROLE_CONTENT(3, "role-content", "every message is an object with 'role' and 'content'"),
    /** Rule 4: role is system, user or assistant. */
    ROLES(4, "roles", "role is system, user or assistant"),
    /** Rule 5: the system message, if any, comes first (one at most). */
    SYSTEM_FIRST(5, "system-first", "a system message only comes first, and at most one"),
    /** Rule 6: the first non-system message is from the user. */
    USER_FIRST(6, "user-first", "the first non-system message is from the user"),
    /** Rule 7: user and assistant alternate in pairs, at least one pair (so the last message is the assistant's). */
    PAIRS(7, "pairs", "user and assistant alternate in pairs, at least one pair, ending with the assistant"),
    /** Rule 8 (the docs leave it open; validated to be safe): content is a non-empty string. */
    CONTENT_STRING(8, "content-string", "content is a non-empty string");

    private final int number;
    private final String id;
    private final String description;

    SiliconFlowRule(int number, String slug, String description) {
        this.number = number;
        this.id = "siliconflow-" + number + "-" + slug;
        this.description = description;
    }

    public int number() {
        return number;
    }

    /** The name problems carry, e.g. {@code siliconflow-4-roles}. */
    public String id() {
        return id;
    }

    public String description() {
        return description;
    }
}
