package dev.finetune4j.template;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * {@link ChatTemplateProvider} for LLaMA-Factory's templates, {@code jinja} (the model's own chat_template) and
 * declarative template files: a name ending in {@code .json}, {@code .yaml} or {@code .yml} is read as a path.
 */
public final class BuiltinTemplateProvider implements ChatTemplateProvider {
    @Override
    public Optional<ChatTemplate> find(String name) {
        if (name.equals("jinja") || name.equals("hf")) {
            return Optional.of(JinjaChatTemplate.fromTokenizer());
        }
        Optional<SlotTemplate> builtin = BuiltinTemplates.get(name);
        if (builtin.isPresent()) {
            return Optional.of(builtin.get());
        }
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".json") || lower.endsWith(".yaml") || lower.endsWith(".yml")) {
            Path p = Path.of(name);
            if (Files.isRegularFile(p)) {
                return Optional.of(DeclarativeTemplates.load(p));
            }
        }
        return Optional.empty();
    }

    @Override
    public Set<String> names() {
        Set<String> names = new LinkedHashSet<>(BuiltinTemplates.all().keySet());
        names.add("jinja");
        return names;
    }
}
