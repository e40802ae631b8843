package dev.finetune4j.template;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * LLaMA-Factory's templates by name ({@code src/llamafactory/data/template.py}, FORMATS.md §C.3), as
 * {@link SlotTemplate}s: {@code empty}, {@code default}, {@code alpaca}, {@code vicuna}, {@code chatml},
 * {@code qwen}, {@code qwen3}, {@code qwen3_nothink}, {@code llama2}, {@code llama3}, {@code mistral},
 * {@code gemma}, {@code gemma2}, {@code phi}, {@code deepseek3}, {@code glm4}.
 */
public final class BuiltinTemplates {
    private static final Map<String, SlotTemplate> TEMPLATES = new LinkedHashMap<>();

    private static final String IM_USER = "<|im_start|>user\n{{content}}<|im_end|>\n<|im_start|>assistant\n";
    private static final String IM_ASSISTANT = "{{content}}<|im_end|>\n";
    private static final String IM_SYSTEM = "<|im_start|>system\n{{content}}<|im_end|>\n";
    private static final String QWEN_OBSERVATION = "<|im_start|>user\n<tool_response>\n{{content}}\n</tool_response>"
            + "<|im_end|>\n<|im_start|>assistant\n";

    static {
        add(SlotTemplate.builder("empty").assistant(Formatter.of("{{content}}")));
        add(SlotTemplate.builder("default")
                .user(Formatter.of("Human: {{content}}", Slot.EOS, "\nAssistant:"))
                .assistant(Formatter.of("{{content}}", Slot.EOS, "\n"))
                .system(Formatter.of("System: {{content}}", Slot.EOS, "\n")));
        add(SlotTemplate.builder("alpaca")
                .user(Formatter.of("### Instruction:\n{{content}}\n\n### Response:\n"))
                .assistant(Formatter.of("{{content}}", Slot.EOS, "\n\n"))
                .defaultSystem("Below is an instruction that describes a task. Write a response that appropriately "
                        + "completes the request.\n\n"));
        add(SlotTemplate.builder("vicuna")
                .user(Formatter.of("USER: {{content}} ASSISTANT:"))
                .defaultSystem("A chat between a curious user and an artificial intelligence assistant. The assistant "
                        + "gives helpful, detailed, and polite answers to the user's questions."));
        add(SlotTemplate.builder("chatml")
                .user(Formatter.of(IM_USER))
                .assistant(Formatter.of(IM_ASSISTANT))
                .system(Formatter.of(IM_SYSTEM))
                .observation(Formatter.of("<|im_start|>tool\n{{content}}<|im_end|>\n<|im_start|>assistant\n"))
                .stopWords(List.of("<|im_end|>", "<|im_start|>"))
                .replaceEos(true));
        SlotTemplate.Builder qwen = SlotTemplate.builder("qwen")
                .user(Formatter.of(IM_USER))
                .assistant(Formatter.of(IM_ASSISTANT))
                .system(Formatter.of(IM_SYSTEM))
                .function(Formatter.of(IM_ASSISTANT), ToolFormat.QWEN)
                .observation(Formatter.of(QWEN_OBSERVATION))
                .tools(ToolFormat.QWEN)
                .defaultSystem("You are Qwen, created by Alibaba Cloud. You are a helpful assistant.")
                .stopWords(List.of("<|im_end|>"))
                .replaceEos(true);
        add(qwen);
        add(qwen.copy().name("qwen3").defaultSystem("").reasoning(true));
        add(qwen.copy().name("qwen3_nothink").defaultSystem(""));
        add(SlotTemplate.builder("llama2")
                .user(Formatter.of(Slot.BOS, "[INST] {{content}} [/INST]"))
                .system(Formatter.of("<<SYS>>\n{{content}}\n<</SYS>>\n\n"))
                .systemInFirstUser(true));
        add(SlotTemplate.builder("llama3")
                .user(Formatter.of("<|start_header_id|>user<|end_header_id|>\n\n{{content}}<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n"))
                .assistant(Formatter.of("{{content}}<|eot_id|>"))
                .system(Formatter.of("<|start_header_id|>system<|end_header_id|>\n\n{{content}}<|eot_id|>"))
                .function(Formatter.of("{{content}}<|eot_id|>"), ToolFormat.LLAMA3)
                .observation(Formatter.of("<|start_header_id|>ipython<|end_header_id|>\n\n{{content}}<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n"))
                .tools(ToolFormat.LLAMA3)
                .prefix(Formatter.of(Slot.BOS))
                .stopWords(List.of("<|eot_id|>", "<|eom_id|>"))
                .replaceEos(true));
        add(SlotTemplate.builder("mistral")
                .user(Formatter.of("[INST] {{content}}[/INST]"))
                .assistant(Formatter.of(" {{content}}", Slot.EOS))
                .system(Formatter.of("{{content}}\n\n"))
                .function(Formatter.of("[TOOL_CALLS] {{content}}", Slot.EOS), ToolFormat.MISTRAL)
                .observation(Formatter.of("[TOOL_RESULTS] {\"content\": {{content}}}[/TOOL_RESULTS]"))
                .tools(ToolFormat.MISTRAL)
                .prefix(Formatter.of(Slot.BOS))
                .systemInFirstUser(true));
        SlotTemplate.Builder gemma = SlotTemplate.builder("gemma")
                .user(Formatter.of("<start_of_turn>user\n{{content}}<end_of_turn>\n<start_of_turn>model\n"))
                .assistant(Formatter.of("{{content}}<end_of_turn>\n"))
                .system(Formatter.of("{{content}}\n\n"))
                .observation(Formatter.of("<start_of_turn>tool\n{{content}}<end_of_turn>\n<start_of_turn>model\n"))
                .prefix(Formatter.of(Slot.BOS))
                .stopWords(List.of("<end_of_turn>"))
                .replaceEos(true)
                .systemInFirstUser(true);
        add(gemma);
        add(gemma.copy().name("gemma2").stopWords(List.of("<eos>", "<end_of_turn>")).replaceEos(false)
                .efficientEos(true));
        add(SlotTemplate.builder("phi")
                .user(Formatter.of("<|user|>\n{{content}}<|end|>\n<|assistant|>\n"))
                .assistant(Formatter.of("{{content}}<|end|>\n"))
                .system(Formatter.of("<|system|>\n{{content}}<|end|>\n"))
                .stopWords(List.of("<|end|>"))
                .replaceEos(true));
        add(SlotTemplate.builder("deepseek3")
                .user(Formatter.of("<｜User｜>{{content}}<｜Assistant｜>"))
                .prefix(Formatter.of(Slot.BOS)));
        add(SlotTemplate.builder("glm4")
                .user(Formatter.of("<|user|>\n{{content}}<|assistant|>"))
                .assistant(Formatter.of("\n{{content}}"))
                .system(Formatter.of("<|system|>\n{{content}}"))
                .function(Formatter.of("{{content}}"), ToolFormat.GLM4)
                .observation(Formatter.of("<|observation|>\n{{content}}<|assistant|>"))
                .tools(ToolFormat.GLM4)
                .prefix(Formatter.of("[gMASK]<sop>"))
                .stopWords(List.of("<|user|>", "<|observation|>"))
                .efficientEos(true));
    }

    private BuiltinTemplates() {
    }

    private static void add(SlotTemplate.Builder b) {
        SlotTemplate t = b.build();
        TEMPLATES.put(t.name(), t);
    }

    /** The built-in template called {@code name}. */
    public static Optional<SlotTemplate> get(String name) {
        return Optional.ofNullable(TEMPLATES.get(name));
    }

    /** All built-in templates by name, in definition order. */
    public static Map<String, SlotTemplate> all() {
        return Collections.unmodifiableMap(TEMPLATES);
    }
}
