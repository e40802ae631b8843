package dev.finetune4j.datasets;

import dev.finetune4j.FineTuneException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How ShareGPT messages name their speaker and text: LLaMA-Factory's {@code tags} (FORMATS.md A.3). A null
 * system tag means a leading system message is not recognised.
 */
public record Tags(String roleTag, String contentTag, String userTag, String assistantTag, String observationTag,
        String functionTag, String systemTag) {

    /** {@code from}/{@code value} with human, gpt, observation, function_call, system (LLaMA-Factory's defaults). */
    public static final Tags SHAREGPT = new Tags("from", "value", "human", "gpt", "observation", "function_call", "system");

    /** {@code role}/{@code content} with user, assistant, observation, function_call, system (OpenAI style). */
    public static final Tags OPENAI = new Tags("role", "content", "user", "assistant", "observation", "function_call",
            "system");

    public Tags {
        Objects.requireNonNull(roleTag, "roleTag");
        Objects.requireNonNull(contentTag, "contentTag");
        Objects.requireNonNull(userTag, "userTag");
        Objects.requireNonNull(assistantTag, "assistantTag");
        Objects.requireNonNull(observationTag, "observationTag");
        Objects.requireNonNull(functionTag, "functionTag");
    }

    /** These tags with LLaMA-Factory {@code tags} keys ({@code role_tag}, {@code content_tag}, ...) applied on top. */
    public Tags with(Map<String, String> overrides) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("role_tag", roleTag);
        m.put("content_tag", contentTag);
        m.put("user_tag", userTag);
        m.put("assistant_tag", assistantTag);
        m.put("observation_tag", observationTag);
        m.put("function_tag", functionTag);
        m.put("system_tag", systemTag);
        for (Map.Entry<String, String> e : overrides.entrySet()) {
            if (!m.containsKey(e.getKey())) {
                throw new FineTuneException("unknown tag '" + e.getKey() + "': tags are " + m.keySet());
            }
            if (e.getValue() == null && !e.getKey().equals("system_tag")) {
                throw new FineTuneException("tag '" + e.getKey() + "' cannot be null");
            }
            m.put(e.getKey(), e.getValue());
        }
        return new Tags(m.get("role_tag"), m.get("content_tag"), m.get("user_tag"), m.get("assistant_tag"),
                m.get("observation_tag"), m.get("function_tag"), m.get("system_tag"));
    }
}
