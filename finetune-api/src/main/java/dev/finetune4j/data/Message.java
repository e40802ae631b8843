package dev.finetune4j.data;

import java.util.Objects;

/** One turn of a conversation. */
public record Message(Role role, String content) {
    public Message {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }

    public static Message user(String content) {
        return new Message(Role.USER, content);
    }

    public static Message assistant(String content) {
        return new Message(Role.ASSISTANT, content);
    }

    public static Message observation(String content) {
        return new Message(Role.OBSERVATION, content);
    }

    public static Message functionCall(String content) {
        return new Message(Role.FUNCTION_CALL, content);
    }
}
