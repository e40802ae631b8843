package dev.finetune4j.datasets;

import dev.finetune4j.FineTuneException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which key of a record holds what: LLaMA-Factory's {@code columns} (FORMATS.md A.3). A null value means the
 * logical column is not mapped (LLaMA-Factory ignores such keys in the record); {@link #messages()} null means
 * "{@code conversations}, else {@code messages}" (the standalone ShareGPT reader's guess).
 */
public record Columns(String prompt, String query, String response, String history, String messages,
        String system, String tools, String chosen, String rejected, String ktoTag, String images,
        String videos, String audios) {

    /** LLaMA-Factory's defaults: {@code instruction}, {@code input}, {@code output}, {@code conversations}; nothing else. */
    public static final Columns LLAMA_FACTORY = new Columns("instruction", "input", "output", null, "conversations",
            null, null, null, null, null, null, null, null);

    /** The standalone Alpaca reader: LF's defaults plus {@code system}, {@code history}, {@code chosen}, {@code rejected}. */
    public static final Columns ALPACA = new Columns("instruction", "input", "output", "history", null,
            "system", null, "chosen", "rejected", null, null, null, null);

    /** The standalone ShareGPT reader: conversations or messages, plus {@code system}, {@code tools}, {@code chosen}, {@code rejected}. */
    public static final Columns SHAREGPT = new Columns(null, null, null, null, null,
            "system", "tools", "chosen", "rejected", null, null, null, null);

    /**
     * These columns with LLaMA-Factory {@code columns} keys applied on top ({@code prompt}, {@code query},
     * {@code response}, {@code history}, {@code messages}, {@code system}, {@code tools}, {@code chosen},
     * {@code rejected}, {@code kto_tag}, {@code images}, {@code videos}, {@code audios}).
     */
    public Columns with(Map<String, String> overrides) {
        Map<String, String> m = new LinkedHashMap<>(asMap());
        for (Map.Entry<String, String> e : overrides.entrySet()) {
            if (!m.containsKey(e.getKey())) {
                throw new FineTuneException("unknown column '" + e.getKey() + "': columns are " + m.keySet());
            }
            m.put(e.getKey(), e.getValue());
        }
        return new Columns(m.get("prompt"), m.get("query"), m.get("response"), m.get("history"), m.get("messages"),
                m.get("system"), m.get("tools"), m.get("chosen"), m.get("rejected"), m.get("kto_tag"), m.get("images"),
                m.get("videos"), m.get("audios"));
    }

    public Map<String, String> asMap() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("prompt", prompt);
        m.put("query", query);
        m.put("response", response);
        m.put("history", history);
        m.put("messages", messages);
        m.put("system", system);
        m.put("tools", tools);
        m.put("chosen", chosen);
        m.put("rejected", rejected);
        m.put("kto_tag", ktoTag);
        m.put("images", images);
        m.put("videos", videos);
        m.put("audios", audios);
        return m;
    }

    /** The mapped media columns as logical name → key (images, videos, audios), which text training cannot use. */
    public Map<String, String> media() {
        Map<String, String> m = new LinkedHashMap<>();
        if (images != null) {
            m.put("images", images);
        }
        if (videos != null) {
            m.put("videos", videos);
        }
        if (audios != null) {
            m.put("audios", audios);
        }
        return m;
    }
}
