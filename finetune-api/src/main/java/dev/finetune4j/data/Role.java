package dev.finetune4j.data;

/**
 * Who speaks a message of a {@link Conversation}. The system prompt is not a role: it lives in
 * {@link Conversation#system()}.
 */
public enum Role {
    /** The person asking. */
    USER,
    /** The model's answer; trained in SFT. */
    ASSISTANT,
    /** A tool's result fed back to the model; on the prompt side, like a user turn. */
    OBSERVATION,
    /** A tool call written by the model (JSON {@code {"name":..,"arguments":..}}); trained like an assistant turn. */
    FUNCTION_CALL;

    /** True for the roles the model writes (assistant and function call). */
    public boolean isModelSide() {
        return this == ASSISTANT || this == FUNCTION_CALL;
    }
}
