package dev.finetune4j.template;

import java.util.Optional;
import java.util.Set;

/**
 * Service interface ({@link java.util.ServiceLoader}) that supplies chat templates by name. finetune-datasets
 * provides LLaMA-Factory's templates, {@code jinja} (the model's own chat_template) and declarative templates
 * from {@code .json}/{@code .yaml} files (the name is then a file path).
 */
public interface ChatTemplateProvider {

    /** The template called {@code name}, or empty when this provider has none by that name. */
    Optional<ChatTemplate> find(String name);

    /** The names this provider knows (file-based templates are not listed). */
    Set<String> names();
}
