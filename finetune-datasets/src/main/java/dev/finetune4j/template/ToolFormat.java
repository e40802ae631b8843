package dev.finetune4j.template;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.FineTuneException;
import java.time.Clock;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How a template writes tool descriptions into the system prompt and tool calls into the model's turn
 * (LLaMA-Factory's {@code tool_format}: {@code default}, {@code qwen}, {@code llama3}, {@code mistral},
 * {@code glm4}).
 */
public enum ToolFormat {
    /** LF's generic ReAct-style prompt ("Action: … Action Input: …"), used by templates without their own. */
    DEFAULT,
    /** Qwen 2.5 / Qwen3: {@code # Tools} section with {@code <tools>} JSON, calls in {@code <tool_call>} tags. */
    QWEN,
    /** Llama 3.1 JSON tool calling ({@code {"name": …, "parameters": …}}); puts today's date in the prompt. */
    LLAMA3,
    /** Mistral v0.3: {@code [AVAILABLE_TOOLS]} and a JSON list of calls. */
    MISTRAL,
    /** GLM-4: Chinese tool preamble, calls as {@code name\narguments}. */
    GLM4;

    static final ObjectMapper MAPPER = new ObjectMapper();

    private static final String DEFAULT_TOOL_PROMPT = "You have access to the following tools:\n%s"
            + "Use the following format if using a tool:\n```\nAction: tool name (one of [%s])\n"
            + "Action Input: the input to the tool, in a JSON format representing the kwargs "
            + "(e.g. ```{\"input\": \"hello world\", \"num_beams\": 5}```)\n```\n";
    private static final String QWEN_TOOL_PROMPT = "\n\n# Tools\n\nYou may call one or more functions to assist with "
            + "the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>%s"
            + "\n</tools>\n\nFor each function call, return a json object with function name and arguments within "
            + "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, "
            + "\"arguments\": <args-json-object>}\n</tool_call>";
    private static final String LLAMA3_TOOL_PROMPT = "Cutting Knowledge Date: December 2023\nToday Date: %s\n\n"
            + "You have access to the following functions. To call a function, please respond with JSON for a "
            + "function call. Respond in the format {\"name\": function name, \"parameters\": dictionary of argument "
            + "name and its value}. Do not use variables.\n\n%s";
    private static final String GLM4_TOOL_PROMPT = "你是一个名为 ChatGLM 的人工智能助手。你是基于智谱 AI 公司训练的语言模型 "
            + "GLM-4 模型开发的，你的任务是针对用户的问题和要求提供适当的答复和支持。\n\n# 可用工具%s";

    /** A tool call: the function name and its arguments as a JSON string. */
    public record FunctionCall(String name, Object arguments) {
    }

    public static ToolFormat of(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new FineTuneException("unknown tool format '" + name + "'; known: default, qwen, llama3, mistral, glm4");
        }
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a JSON string (an array of tool schemas) into plain Java values, keeping key order. */
    static Object parseJson(String json, String what) {
        try {
            return MAPPER.readValue(json, Object.class);
        } catch (JsonProcessingException e) {
            throw new FineTuneException("invalid JSON in " + what + ": " + e.getOriginalMessage());
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> wrapFunction(Object tool) {
        Map<String, Object> t = (Map<String, Object>) tool;
        if ("function".equals(t.get("type"))) {
            return t;
        }
        Map<String, Object> w = new LinkedHashMap<>();
        w.put("type", "function");
        w.put("function", t);
        return w;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> unwrapFunction(Object tool) {
        Map<String, Object> t = (Map<String, Object>) tool;
        if ("function".equals(t.get("type"))) {
            Object f = t.get("function");
            return f instanceof Map ? (Map<String, Object>) f : Map.of();
        }
        return t;
    }

    /** The tool-description text appended to the system prompt, from the tools JSON array. */
    @SuppressWarnings("unchecked")
    public String toolPrompt(String toolsJson, Clock clock) {
        Object parsed = parseJson(toolsJson, "tools");
        List<Object> tools = parsed instanceof List<?> l ? (List<Object>) l : List.of(parsed);
        if (tools.isEmpty()) {
            return "";
        }
        StringBuilder text = new StringBuilder();
        switch (this) {
            case QWEN -> {
                for (Object tool : tools) {
                    text.append('\n').append(PythonJson.dumps(wrapFunction(tool)));
                }
                return String.format(QWEN_TOOL_PROMPT, text);
            }
            case LLAMA3 -> {
                for (Object tool : tools) {
                    text.append(PythonJson.dumps(wrapFunction(tool), 4)).append("\n\n");
                }
                String date = LocalDate.now(clock).format(DateTimeFormatter.ofPattern("dd MMM yyyy", Locale.ENGLISH));
                return String.format(LLAMA3_TOOL_PROMPT, date, text);
            }
            case MISTRAL -> {
                List<Object> wrapped = new ArrayList<>();
                tools.forEach(t -> wrapped.add(wrapFunction(t)));
                return "[AVAILABLE_TOOLS] " + PythonJson.dumps(wrapped) + "[/AVAILABLE_TOOLS]";
            }
            case GLM4 -> {
                for (Object tool : tools) {
                    Map<String, Object> f = unwrapFunction(tool);
                    text.append("\n\n## ").append(f.get("name")).append("\n\n").append(PythonJson.dumps(f, 4))
                            .append("\n在调用上述函数时，请使用 Json 格式表示调用的参数。");
                }
                return String.format(GLM4_TOOL_PROMPT, text);
            }
            default -> {
                List<String> names = new ArrayList<>();
                for (Object tool : tools) {
                    Map<String, Object> f = unwrapFunction(tool);
                    StringBuilder params = new StringBuilder();
                    Map<String, Object> parameters = (Map<String, Object>) f.getOrDefault("parameters", Map.of());
                    Map<String, Object> props = (Map<String, Object>) parameters.getOrDefault("properties", Map.of());
                    List<Object> required = (List<Object>) parameters.getOrDefault("required", List.of());
                    for (Map.Entry<String, Object> e : props.entrySet()) {
                        Map<String, Object> p = (Map<String, Object>) e.getValue();
                        String req = required.contains(e.getKey()) ? ", required" : "";
                        String en = "";
                        Object enumValues = p.get("enum");
                        if (enumValues instanceof List<?> l && !l.isEmpty()) {
                            List<String> vals = new ArrayList<>();
                            l.forEach(v -> vals.add(String.valueOf(v)));
                            en = ", should be one of [" + String.join(", ", vals) + "]";
                        }
                        String items = "";
                        if (p.get("items") instanceof Map<?, ?> im && !im.isEmpty()) {
                            items = ", where each item should be " + Objects2.str(im.get("type"));
                        }
                        params.append("  - ").append(e.getKey()).append(" (").append(Objects2.str(p.get("type")))
                                .append(req).append("): ").append(Objects2.str(p.get("description"))).append(en)
                                .append(items).append('\n');
                    }
                    text.append("> Tool Name: ").append(f.get("name")).append("\nTool Description: ")
                            .append(Objects2.str(f.get("description"))).append("\nTool Args:\n").append(params)
                            .append('\n');
                    names.add(String.valueOf(f.get("name")));
                }
                return String.format(DEFAULT_TOOL_PROMPT, text, String.join(", ", names));
            }
        }
    }

    /** Parses a function-call message: a JSON object {@code {"name", "arguments"}} or a list of them. */
    @SuppressWarnings("unchecked")
    public static List<FunctionCall> parseCalls(String json) {
        Object parsed;
        try {
            parsed = MAPPER.readValue(json, Object.class);
        } catch (JsonProcessingException e) {
            throw new FineTuneException("invalid JSON in a function call message: " + e.getOriginalMessage());
        }
        List<Object> calls = parsed instanceof List<?> l ? (List<Object>) l : List.of(parsed);
        List<FunctionCall> out = new ArrayList<>();
        for (Object c : calls) {
            if (!(c instanceof Map<?, ?> m) || !m.containsKey("name") || !m.containsKey("arguments")) {
                throw new FineTuneException("a function call message must be {\"name\": ..., \"arguments\": ...}");
            }
            out.add(new FunctionCall(String.valueOf(m.get("name")), m.get("arguments")));
        }
        return out;
    }

    /** The text of the model's tool call(s) in this format. */
    public String formatCalls(List<FunctionCall> calls) {
        switch (this) {
            case QWEN -> {
                List<String> parts = new ArrayList<>();
                for (FunctionCall c : calls) {
                    Map<String, Object> o = new LinkedHashMap<>();
                    o.put("name", c.name());
                    o.put("arguments", c.arguments());
                    parts.add("<tool_call>\n" + PythonJson.dumps(o) + "\n</tool_call>");
                }
                return String.join("\n", parts);
            }
            case LLAMA3 -> {
                List<Object> objs = new ArrayList<>();
                for (FunctionCall c : calls) {
                    Map<String, Object> o = new LinkedHashMap<>();
                    o.put("name", c.name());
                    o.put("parameters", c.arguments());
                    objs.add(o);
                }
                return PythonJson.dumps(objs.size() == 1 ? objs.get(0) : objs);
            }
            case MISTRAL -> {
                List<Object> objs = new ArrayList<>();
                for (FunctionCall c : calls) {
                    Map<String, Object> o = new LinkedHashMap<>();
                    o.put("name", c.name());
                    o.put("arguments", c.arguments());
                    objs.add(o);
                }
                return PythonJson.dumps(objs);
            }
            case GLM4 -> {
                if (calls.size() > 1) {
                    throw new FineTuneException("the glm4 tool format does not support parallel function calls");
                }
                return calls.get(0).name() + "\n" + PythonJson.dumps(calls.get(0).arguments());
            }
            default -> {
                List<String> parts = new ArrayList<>();
                for (FunctionCall c : calls) {
                    parts.add("Action: " + c.name() + "\nAction Input: " + PythonJson.dumps(c.arguments()));
                }
                return String.join("\n", parts);
            }
        }
    }

    /** Small helpers for Python-like formatting of optional values. */
    static final class Objects2 {
        private Objects2() {
        }

        static String str(Object o) {
            if (o == null) {
                return "";
            }
            if (o instanceof String s) {
                return s;
            }
            if (o instanceof Boolean b) {
                return b ? "True" : "False";
            }
            if (o instanceof List || o instanceof Map) {
                return PythonJson.dumps(o);
            }
            return o.toString();
        }
    }
}
