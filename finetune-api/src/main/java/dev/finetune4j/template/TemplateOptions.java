package dev.finetune4j.template;

/**
 * Settings that change how a template renders, as LLaMA-Factory's data arguments of the same names.
 *
 * @param enableThinking    reasoning templates (qwen3): {@code TRUE} trains an empty think block before
 *                          answers without chain of thought, {@code FALSE} puts it in the prompt and removes
 *                          chain of thought everywhere, {@code null} decides per example
 * @param preserveThinking  keep history chain of thought in pairwise/KTO/generation prompts
 * @param defaultSystem     replaces the template's default system prompt; {@code null} keeps it
 * @param toolFormat        replaces the template's tool format ({@code default}, {@code qwen}, {@code llama3},
 *                          {@code mistral}, {@code glm4}); {@code null} keeps it
 */
public record TemplateOptions(Boolean enableThinking, boolean preserveThinking, String defaultSystem,
        String toolFormat) {
    public static final TemplateOptions DEFAULTS = new TemplateOptions(Boolean.TRUE, false, null, null);

    public TemplateOptions withEnableThinking(Boolean v) {
        return new TemplateOptions(v, preserveThinking, defaultSystem, toolFormat);
    }

    public TemplateOptions withDefaultSystem(String v) {
        return new TemplateOptions(enableThinking, preserveThinking, v, toolFormat);
    }

    public TemplateOptions withToolFormat(String v) {
        return new TemplateOptions(enableThinking, preserveThinking, defaultSystem, v);
    }

    public TemplateOptions withPreserveThinking(boolean v) {
        return new TemplateOptions(enableThinking, v, defaultSystem, toolFormat);
    }
}
