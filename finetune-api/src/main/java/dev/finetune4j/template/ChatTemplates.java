package dev.finetune4j.template;

import dev.finetune4j.FineTuneException;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds chat templates by name: templates registered at run time first, then every {@link ChatTemplateProvider}
 * on the class path (LLaMA-Factory's names such as {@code qwen3}, {@code llama3}; {@code jinja} for the model's
 * own template; a path to a {@code .json}/{@code .yaml} declarative template).
 */
public final class ChatTemplates {
    private static final Map<String, ChatTemplate> REGISTERED = new ConcurrentHashMap<>();

    private ChatTemplates() {
    }

    /** Makes {@code template} findable by its {@link ChatTemplate#name()}, replacing any earlier one. */
    public static void register(ChatTemplate template) {
        REGISTERED.put(template.name(), template);
    }

    /** The template called {@code name}. @throws FineTuneException naming the known templates if none. */
    public static ChatTemplate get(String name) {
        return find(name).orElseThrow(() -> new FineTuneException("unknown chat template '" + name
                + "'; known: " + String.join(", ", names()) + " (or a path to a .json/.yaml template file)"));
    }

    public static Optional<ChatTemplate> find(String name) {
        ChatTemplate t = REGISTERED.get(name);
        if (t != null) {
            return Optional.of(t);
        }
        for (ChatTemplateProvider p : ServiceLoader.load(ChatTemplateProvider.class,
                ChatTemplates.class.getClassLoader())) {
            Optional<ChatTemplate> found = p.find(name);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    /** All known names, sorted. */
    public static Set<String> names() {
        Set<String> names = new TreeSet<>(REGISTERED.keySet());
        for (ChatTemplateProvider p : ServiceLoader.load(ChatTemplateProvider.class,
                ChatTemplates.class.getClassLoader())) {
            names.addAll(p.names());
        }
        return names;
    }
}
