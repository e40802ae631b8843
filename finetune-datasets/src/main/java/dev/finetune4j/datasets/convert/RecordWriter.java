package dev.finetune4j.datasets.convert;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.Example;
import dev.finetune4j.data.KtoExample;
import dev.finetune4j.data.Message;
import dev.finetune4j.data.PreferenceExample;
import dev.finetune4j.data.Role;
import dev.finetune4j.data.TextDocument;
import dev.finetune4j.datasets.DatasetFormat;

/**
 * Turns an example into one record of a format, or says why it cannot: nothing is silently dropped. Alpaca:
 * {@code instruction}, {@code input} (always {@code ""}: a user turn is one string), {@code output},
 * {@code system}, {@code history}; ShareGPT: {@code conversations} of {@code from}/{@code value} with the system
 * prompt as a leading {@code system} message, {@code tools}; SiliconFlow: {@code messages} of system/user/assistant.
 */
public interface RecordWriter {

    ObjectNode toRecord(Example example) throws Unrepresentable;

    /** True when the target must be JSON Lines (SiliconFlow); else the file name decides (.jsonl or a .json array). */
    default boolean jsonLinesOnly() {
        return false;
    }

    static RecordWriter forFormat(DatasetFormat f) {
        return switch (f) {
            case ALPACA -> new AlpacaRecordWriter();
            case SHAREGPT -> new ShareGptRecordWriter();
            case SILICONFLOW -> new SiliconFlowRecordWriter();
            case TEXT -> new TextRecordWriter();
        };
    }

    /** "a preference pair", "a KTO example", ... for messages. */
    static String kind(Example e) {
        if (e instanceof PreferenceExample) {
            return "a preference pair (chosen/rejected)";
        }
        if (e instanceof KtoExample) {
            return "a KTO example (with a desirable flag)";
        }
        if (e instanceof TextDocument) {
            return "a pre-training text document";
        }
        return "a conversation";
    }

    static String roleName(Role r) {
        return switch (r) {
            case USER -> "user";
            case ASSISTANT -> "assistant";
            case OBSERVATION -> "observation (a tool result)";
            case FUNCTION_CALL -> "function_call (a tool call)";
        };
    }

    /** Checks user/assistant-only alternation starting with the user. */
    static void requireUserAssistantTurns(Conversation c, String target) throws Unrepresentable {
        for (int i = 0; i < c.messages().size(); i++) {
            Message m = c.messages().get(i);
            if (m.role() == Role.OBSERVATION || m.role() == Role.FUNCTION_CALL) {
                throw new Unrepresentable("message " + (i + 1) + " is " + roleName(m.role()) + ", and " + target
                        + " has only user and assistant turns");
            }
        }
        String bad = c.validateTurns();
        if (bad != null) {
            throw new Unrepresentable(bad);
        }
    }
}
