package dev.finetune4j.template;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.Message;
import dev.finetune4j.template.jinja.JinjaTemplate;
import dev.finetune4j.tokenizer.TokenizedText;
import dev.finetune4j.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The model's own chat template: the Jinja {@code chat_template} of its tokenizer_config.json (or
 * chat_template.jinja), rendered as HuggingFace's {@code apply_chat_template} does and tokenized in one piece, so
 * the ids are exactly the official ones. Found by the name {@code jinja}.
 *
 * <p>Conversion to the template's messages: the system prompt becomes a leading {@code system} message, user →
 * {@code user}, assistant → {@code assistant}, observation → {@code tool}, a function call → an {@code assistant}
 * message with empty content and {@code tool_calls} ([{type: function, function: {name, arguments}}]); tools are
 * passed as {@code tools} (each wrapped as {@code {type: function, function: …}}).
 *
 * <p><b>Which tokens are the answers</b> (the labels): the conversation is rendered once (text T); for each model
 * turn the prefix up to it is rendered with {@code add_generation_prompt=true}, which must be a prefix of T — the
 * answer starts there. The answer ends right after the first end-of-turn token after that start (the tokenizer's
 * EOS or one of {@code <|im_end|>}, {@code <|eot_id|>}, {@code <|eom_id|>}, {@code <|end|>},
 * {@code <end_of_turn>}, {@code </s>}, …), plus the whitespace that follows it (ChatML's newline), as
 * LLaMA-Factory's slot templates train it; without such a token it ends where the next prompt starts. Tokens
 * are assigned to the answer by their start offset. Text after the last answer (e.g. the assistant header some
 * Llama 3 revisions always append) is dropped. Limits: a template that renders earlier turns differently once a
 * later turn exists (beyond what comes after the answer start) is rejected with an error naming the turn; an answer
 * whose text itself contains an end-of-turn token string is cut there.
 */
public final class JinjaChatTemplate implements ChatTemplate {
    private static final List<String> END_TOKENS = List.of("<|im_end|>", "<|eot_id|>", "<|eom_id|>", "<|end|>",
            "<end_of_turn>", "<|end_of_text|>", "<|endoftext|>", "</s>", "<｜end▁of▁sentence｜>", "<|return|>",
            "<|END_OF_TURN_TOKEN|>", "<eos>");
    private static final Map<String, JinjaTemplate> COMPILED = new ConcurrentHashMap<>();

    private final String name;
    private final String source;
    private final TemplateOptions options;
    private final Map<String, Object> extraContext;

    private JinjaChatTemplate(String name, String source, TemplateOptions options, Map<String, Object> extraContext) {
        this.name = name;
        this.source = source;
        this.options = options;
        this.extraContext = Map.copyOf(extraContext);
    }

    /** Uses the chat template of whichever tokenizer it is given. */
    public static JinjaChatTemplate fromTokenizer() {
        return new JinjaChatTemplate("jinja", null, TemplateOptions.DEFAULTS, Map.of());
    }

    /** Uses {@code source} whatever the tokenizer carries. */
    public static JinjaChatTemplate of(String name, String source) {
        JinjaTemplate.compile(source);
        return new JinjaChatTemplate(name, source, TemplateOptions.DEFAULTS, Map.of());
    }

    /** Extra variables for the template (e.g. {@code {"enable_thinking": false}}). */
    public JinjaChatTemplate withContext(Map<String, Object> extra) {
        return new JinjaChatTemplate(name, source, options, extra);
    }

    @Override
    public JinjaChatTemplate withOptions(TemplateOptions newOptions) {
        return new JinjaChatTemplate(name, source, Objects.requireNonNull(newOptions), extraContext);
    }

    @Override
    public String name() {
        return name;
    }

    private JinjaTemplate compiled(Tokenizer tokenizer) {
        String src = source != null ? source : tokenizer.chatTemplate().orElseThrow(() -> new FineTuneException(
                "template jinja: the tokenizer has no chat_template (tokenizer_config.json or chat_template.jinja); "
                        + "choose a named template instead"));
        return COMPILED.computeIfAbsent(src, JinjaTemplate::compile);
    }

    /** The conversation as the template's messages (see the class comment). */
    public static List<Map<String, Object>> toMessages(Conversation c) {
        List<Map<String, Object>> out = new ArrayList<>();
        if (c.hasSystem()) {
            out.add(message("system", c.system()));
        }
        for (Message m : c.messages()) {
            switch (m.role()) {
                case USER -> out.add(message("user", m.content()));
                case ASSISTANT -> out.add(message("assistant", m.content()));
                case OBSERVATION -> out.add(message("tool", m.content()));
                case FUNCTION_CALL -> {
                    Map<String, Object> msg = message("assistant", "");
                    List<Object> calls = new ArrayList<>();
                    for (ToolFormat.FunctionCall call : ToolFormat.parseCalls(m.content())) {
                        Map<String, Object> fn = new LinkedHashMap<>();
                        fn.put("name", call.name());
                        fn.put("arguments", call.arguments());
                        Map<String, Object> tc = new LinkedHashMap<>();
                        tc.put("type", "function");
                        tc.put("function", fn);
                        calls.add(tc);
                    }
                    msg.put("tool_calls", calls);
                    out.add(msg);
                }
                default -> throw new IllegalStateException();
            }
        }
        return out;
    }

    private static Map<String, Object> message(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }

    /** The tools as the template's {@code tools} variable, or null when there are none. */
    @SuppressWarnings("unchecked")
    public static List<Object> toTools(Conversation c) {
        if (!c.hasTools()) {
            return null;
        }
        Object parsed = ToolFormat.parseJson(c.tools(), "tools");
        List<Object> tools = parsed instanceof List<?> l ? (List<Object>) l : List.of(parsed);
        List<Object> out = new ArrayList<>();
        for (Object t : tools) {
            if (t instanceof Map<?, ?> m && "function".equals(m.get("type"))) {
                out.add(t);
            } else {
                Map<String, Object> w = new LinkedHashMap<>();
                w.put("type", "function");
                w.put("function", t);
                out.add(w);
            }
        }
        return out.isEmpty() ? null : out;
    }

    /** Renders the messages as text, exactly as the model's template does. */
    public String render(Tokenizer tokenizer, List<Map<String, Object>> messages, List<Object> tools,
            boolean addGenerationPrompt) {
        Map<String, Object> ctx = new LinkedHashMap<>();
        ctx.put("messages", messages);
        if (tools != null) {
            ctx.put("tools", tools);
        }
        ctx.put("add_generation_prompt", addGenerationPrompt);
        ctx.put("bos_token", tokenizer.bosToken().orElse(""));
        ctx.put("eos_token", tokenizer.eosToken().orElse(""));
        if (options.enableThinking() != null) {
            ctx.put("enable_thinking", options.enableThinking());
        }
        ctx.putAll(extraContext);
        return compiled(tokenizer).render(ctx);
    }

    public String render(Tokenizer tokenizer, Conversation c, boolean addGenerationPrompt) {
        return render(tokenizer, toMessages(c), toTools(c), addGenerationPrompt);
    }

    @Override
    public List<EncodedTurn> encodeTurns(Tokenizer tokenizer, Conversation c, boolean discardHistoryThinking) {
        String bad = c.validateTurns();
        if (bad != null || c.messages().isEmpty() || !c.endsWithModelTurn()) {
            throw new FineTuneException("template " + name + ": " + (bad != null ? bad
                    : "a conversation to encode must end with the model's turn"));
        }
        List<Map<String, Object>> messages = toMessages(c);
        List<Object> tools = toTools(c);
        String full = render(tokenizer, messages, tools, false);
        List<String> ends = endTokens(tokenizer);
        int offset = c.hasSystem() ? 1 : 0;
        List<int[]> spans = new ArrayList<>();
        int prevEnd = 0;
        for (int i = 0; i < c.messages().size(); i++) {
            if (!c.messages().get(i).role().isModelSide()) {
                continue;
            }
            int idx = i + offset;
            String prefix = render(tokenizer, messages.subList(0, idx), tools, true);
            if (!full.startsWith(prefix) || prefix.length() < prevEnd) {
                throw new FineTuneException("template " + name + ": cannot locate model turn " + i + " in the rendered "
                        + "conversation (the template renders earlier turns differently once later turns exist); "
                        + "use a named template instead");
            }
            int start = prefix.length();
            int limit = full.length();
            if (i + 2 < c.messages().size()) {
                // the next model turn starts after the next prompt; its prefix bounds this answer
                String next = render(tokenizer, messages.subList(0, idx + 1), tools, false);
                limit = Math.min(limit, Math.max(start, commonPrefix(next, full)));
                if (limit < full.length() && limit <= start) {
                    limit = full.length();
                }
            }
            int end = limit;
            int best = -1;
            String bestToken = null;
            for (String t : ends) {
                int p = full.indexOf(t, start);
                if (p >= 0 && (best < 0 || p < best)) {
                    best = p;
                    bestToken = t;
                }
            }
            if (best >= 0) {
                end = best + bestToken.length();
                while (end < full.length() && Character.isWhitespace(full.charAt(end)) && full.charAt(end) != '\u3000') {
                    end++;
                }
            }
            spans.add(new int[] {start, end});
            prevEnd = end;
        }
        TokenizedText tt = tokenizer.encodeWithOffsets(full);
        int[] ids = tt.ids();
        List<EncodedTurn> turns = new ArrayList<>(spans.size());
        int t = 0;
        for (int[] span : spans) {
            int promptStart = t;
            while (t < ids.length && tt.starts()[t] < span[0]) {
                t++;
            }
            int answerStart = t;
            while (t < ids.length && tt.starts()[t] < span[1]) {
                t++;
            }
            turns.add(new EncodedTurn(Arrays.copyOfRange(ids, promptStart, answerStart),
                    Arrays.copyOfRange(ids, answerStart, t)));
        }
        return turns;
    }

    private static int commonPrefix(String a, String b) {
        int n = Math.min(a.length(), b.length());
        int i = 0;
        while (i < n && a.charAt(i) == b.charAt(i)) {
            i++;
        }
        return i;
    }

    private static List<String> endTokens(Tokenizer tokenizer) {
        List<String> out = new ArrayList<>();
        tokenizer.eosToken().ifPresent(out::add);
        for (String t : END_TOKENS) {
            if (!out.contains(t) && tokenizer.tokenId(t).isPresent()) {
                out.add(t);
            }
        }
        return out;
    }

    @Override
    public int[] encodeGenerationPrompt(Tokenizer tokenizer, Conversation conversation) {
        return tokenizer.encode(render(tokenizer, conversation, true));
    }

    @Override
    public OptionalInt eosId(Tokenizer tokenizer) {
        return tokenizer.eosId();
    }

    @Override
    public List<Integer> stopIds(Tokenizer tokenizer) {
        List<Integer> ids = new ArrayList<>();
        for (String t : endTokens(tokenizer)) {
            tokenizer.tokenId(t).ifPresent(id -> {
                if (!ids.contains(id)) {
                    ids.add(id);
                }
            });
        }
        return ids;
    }

    @Override
    public String toString() {
        return "JinjaChatTemplate[" + name + "]";
    }
}
