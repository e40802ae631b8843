package dev.finetune4j.template;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.finetune4j.FineTuneException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Templates declared in JSON or YAML with LLaMA-Factory's slot model, e.g.
 * <pre>
 * name: my-chat
 * extends: qwen            # optional: start from a built-in template
 * prefix: [{bos_token: true}]
 * system: "&lt;|system|&gt;\n{{content}}&lt;|end|&gt;\n"
 * user: "&lt;|user|&gt;\n{{content}}&lt;|end|&gt;\n&lt;|assistant|&gt;\n"
 * assistant: ["{{content}}", {eos_token: true}]
 * observation: "..."        # default: the user formatter
 * function: "{{content}}&lt;|end|&gt;\n"   # tool-call turns (default: the assistant formatter)
 * tool_format: qwen         # default | qwen | llama3 | mistral | glm4
 * default_system: ""
 * stop_words: ["&lt;|end|&gt;"]
 * replace_eos: true
 * efficient_eos: false
 * system_in_first_user: false
 * reasoning: false
 * thought_words: ["&lt;think&gt;\n", "\n&lt;/think&gt;\n\n"]
 * </pre>
 * A formatter is a string or a list of slots; a slot is a string (with {@code {{content}}}), {@code {bos_token: true}},
 * {@code {eos_token: true}} or {@code {token: "<x>"}}. Load with {@link #load(Path)} or pass the file path as the
 * template name.
 */
public final class DeclarativeTemplates {
    private static final Set<String> KEYS = Set.of("name", "extends", "prefix", "system", "user", "assistant",
            "observation", "function", "tool_format", "default_system", "stop_words", "replace_eos", "efficient_eos",
            "system_in_first_user", "reasoning", "thought_words", "tool_call_words");

    private DeclarativeTemplates() {
    }

    public static SlotTemplate load(Path file) {
        String lower = file.getFileName().toString().toLowerCase(Locale.ROOT);
        ObjectMapper mapper = lower.endsWith(".json") ? new ObjectMapper() : new ObjectMapper(new YAMLFactory());
        JsonNode root;
        try {
            root = mapper.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new FineTuneException(file + ":" + e.getLocation().getLineNr() + ":" + e.getLocation().getColumnNr()
                    + ": invalid " + (lower.endsWith(".json") ? "JSON" : "YAML") + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read template " + file + ": " + e.getMessage(), e);
        }
        String defaultName = file.getFileName().toString().replaceFirst("\\.(json|ya?ml)$", "");
        return parse(root, defaultName, file.toString());
    }

    /** Builds a template from an already parsed JSON/YAML tree; {@code where} names it in errors. */
    public static SlotTemplate parse(JsonNode root, String defaultName, String where) {
        if (root == null || !root.isObject()) {
            throw new FineTuneException(where + ": a template must be a JSON/YAML object");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext();) {
            String k = it.next();
            if (!KEYS.contains(k)) {
                throw new FineTuneException(where + ": unknown key '" + k + "'; known: " + String.join(", ",
                        new java.util.TreeSet<>(KEYS)));
            }
        }
        String name = root.path("name").asText(defaultName);
        SlotTemplate.Builder b;
        if (root.has("extends")) {
            String base = root.get("extends").asText();
            b = BuiltinTemplates.get(base).orElseThrow(() -> new FineTuneException(where + ": extends '" + base
                    + "' is not a built-in template")).toBuilder().name(name);
        } else {
            b = SlotTemplate.builder(name);
        }
        if (root.has("prefix")) {
            b.prefix(formatter(root.get("prefix"), where, "prefix"));
        }
        if (root.has("system")) {
            b.system(formatter(root.get("system"), where, "system"));
        }
        if (root.has("user")) {
            b.user(formatter(root.get("user"), where, "user"));
        }
        if (root.has("assistant")) {
            b.assistant(formatter(root.get("assistant"), where, "assistant"));
        }
        if (root.has("observation")) {
            b.observation(formatter(root.get("observation"), where, "observation"));
        }
        ToolFormat tf = root.has("tool_format") ? toolFormat(root.get("tool_format").asText(), where) : null;
        if (root.has("function")) {
            b.function(formatter(root.get("function"), where, "function"), tf != null ? tf : ToolFormat.DEFAULT);
        }
        if (tf != null) {
            b.tools(tf);
            if (!root.has("function")) {
                b.function(null, tf); // the assistant's slots, calls written in this format
            }
        }
        if (root.has("default_system")) {
            b.defaultSystem(root.get("default_system").asText());
        }
        if (root.has("stop_words")) {
            b.stopWords(strings(root.get("stop_words"), where, "stop_words"));
        }
        if (root.has("replace_eos")) {
            b.replaceEos(bool(root.get("replace_eos"), where, "replace_eos"));
        }
        if (root.has("efficient_eos")) {
            b.efficientEos(bool(root.get("efficient_eos"), where, "efficient_eos"));
        }
        if (root.has("system_in_first_user")) {
            b.systemInFirstUser(bool(root.get("system_in_first_user"), where, "system_in_first_user"));
        }
        if (root.has("reasoning")) {
            b.reasoning(bool(root.get("reasoning"), where, "reasoning"));
        }
        if (root.has("thought_words")) {
            List<String> w = strings(root.get("thought_words"), where, "thought_words");
            if (w.size() != 2) {
                throw new FineTuneException(where + ": thought_words must hold two strings (open, close)");
            }
            b.thoughtWords(w.get(0), w.get(1));
        }
        if (root.has("tool_call_words")) {
            List<String> w = strings(root.get("tool_call_words"), where, "tool_call_words");
            if (w.size() != 2) {
                throw new FineTuneException(where + ": tool_call_words must hold two strings (open, close)");
            }
            b.toolCallWords(w.get(0), w.get(1));
        }
        try {
            return b.build();
        } catch (FineTuneException e) {
            throw new FineTuneException(where + ": " + e.getMessage());
        }
    }

    private static ToolFormat toolFormat(String s, String where) {
        try {
            return ToolFormat.of(s);
        } catch (FineTuneException e) {
            throw new FineTuneException(where + ": " + e.getMessage());
        }
    }

    private static boolean bool(JsonNode n, String where, String key) {
        if (!n.isBoolean()) {
            throw new FineTuneException(where + ": " + key + " must be true or false");
        }
        return n.asBoolean();
    }

    private static List<String> strings(JsonNode n, String where, String key) {
        List<String> out = new ArrayList<>();
        if (!n.isArray()) {
            throw new FineTuneException(where + ": " + key + " must be a list of strings");
        }
        n.forEach(x -> out.add(x.asText()));
        return out;
    }

    private static Formatter formatter(JsonNode n, String where, String key) {
        List<Slot> slots = new ArrayList<>();
        if (n.isTextual()) {
            slots.add(new Slot.Text(n.asText()));
        } else if (n.isArray()) {
            for (JsonNode s : n) {
                slots.add(slot(s, where, key));
            }
        } else {
            throw new FineTuneException(where + ": " + key + " must be a string or a list of slots");
        }
        return new Formatter(slots);
    }

    private static Slot slot(JsonNode s, String where, String key) {
        if (s.isTextual()) {
            return new Slot.Text(s.asText());
        }
        if (s.isObject()) {
            if (s.path("bos_token").asBoolean(false)) {
                return Slot.BOS;
            }
            if (s.path("eos_token").asBoolean(false)) {
                return Slot.EOS;
            }
            if (s.path("token").isTextual()) {
                return new Slot.TokenRef(s.get("token").asText());
            }
        }
        throw new FineTuneException(where + ": a slot of " + key + " must be a string, {bos_token: true}, "
                + "{eos_token: true} or {token: \"...\"}, got " + s);
    }
}
