package dev.finetune4j.data;

import java.util.List;
import java.util.Objects;

/**
 * A chat: an optional system prompt, optional tool definitions and the turns in order.
 *
 * <p>Turns alternate prompt side ({@link Role#USER}, {@link Role#OBSERVATION}) and model side
 * ({@link Role#ASSISTANT}, {@link Role#FUNCTION_CALL}), starting on the prompt side. That rule is checked by
 * readers (with file and line in the error) and by {@link #validateTurns()}, not by the constructor, so that
 * a validator can hold and report a bad record.
 *
 * @param system the system prompt, {@code ""} when there is none
 * @param tools  tool schemas as a JSON array string, {@code ""} when there are none
 * @param messages the turns
 */
public record Conversation(String system, String tools, List<Message> messages) implements Example {
    public Conversation {
        system = system == null ? "" : system;
        tools = tools == null ? "" : tools;
        messages = List.copyOf(Objects.requireNonNull(messages, "messages"));
    }

    public static Conversation of(String system, List<Message> messages) {
        return new Conversation(system, "", messages);
    }

    public static Conversation of(List<Message> messages) {
        return new Conversation("", "", messages);
    }

    public boolean hasSystem() {
        return !system.isEmpty();
    }

    public boolean hasTools() {
        return !tools.isEmpty();
    }

    /** True when the last turn is the model's (what SFT trains on). */
    public boolean endsWithModelTurn() {
        return !messages.isEmpty() && messages.get(messages.size() - 1).role().isModelSide();
    }

    /**
     * Checks the alternation rule: even positions prompt side, odd positions model side.
     *
     * @return {@code null} if the turns are well formed, else a sentence saying which turn breaks the rule
     */
    public String validateTurns() {
        for (int i = 0; i < messages.size(); i++) {
            Role role = messages.get(i).role();
            boolean wantModel = i % 2 == 1;
            if (role.isModelSide() != wantModel) {
                return "message " + i + " has role " + role.name().toLowerCase(java.util.Locale.ROOT)
                        + " but position " + i + " must be "
                        + (wantModel ? "assistant or function_call" : "user or observation");
            }
        }
        return null;
    }
}
