package dev.finetune4j.template;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.Message;
import dev.finetune4j.data.Role;
import dev.finetune4j.tokenizer.Tokenizer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A chat template in LLaMA-Factory's slot model: formatters for prefix, system, user, assistant, observation and
 * function turns, tool descriptions, stop words, {@code replace_eos}, {@code efficient_eos}, a default system,
 * Llama-2-style system placement and Qwen3-style reasoning (think blocks). Every built-in template is one of these
 * ({@link BuiltinTemplates}); users build their own with {@link #builder(String)} or from a JSON/YAML file
 * ({@link DeclarativeTemplates}).
 *
 * <p>Encoding is LLaMA-Factory's {@code Template._encode}: message by message, each text slot tokenized on its own
 * without special tokens, BOS/EOS/token slots as ids.
 */
public final class SlotTemplate implements ChatTemplate {
    private final String name;
    private final Formatter prefix;
    private final Formatter system;
    private final Formatter user;
    private final Formatter assistant;
    private final Formatter observation;
    private final Formatter function;
    private final ToolFormat functionFormat;
    private final ToolFormat toolFormat;
    private final String defaultSystem;
    private final List<String> stopWords;
    private final String thoughtOpen;
    private final String thoughtClose;
    private final String toolCallOpen;
    private final String toolCallClose;
    private final boolean efficientEos;
    private final boolean replaceEos;
    private final boolean systemInFirstUser;
    private final boolean reasoning;
    private final TemplateOptions options;
    private final Clock clock;
    private final Pattern thoughtPattern;
    private final Pattern toolCallPattern;

    private SlotTemplate(Builder b, TemplateOptions options) {
        this.name = b.name;
        this.prefix = b.prefix;
        this.system = b.system;
        this.user = b.user;
        this.assistant = b.assistant;
        this.observation = b.observation != null ? b.observation : b.user;
        this.functionFormat = options.toolFormat() != null ? ToolFormat.of(options.toolFormat()) : b.functionFormat;
        this.toolFormat = options.toolFormat() != null ? ToolFormat.of(options.toolFormat()) : b.toolFormat;
        Formatter fn = b.function != null ? b.function : b.assistant;
        if (options.toolFormat() != null) { // LF replaces the function slots too when tool_format is given
            fn = b.efficientEos ? Formatter.of("{{content}}") : Formatter.of("{{content}}", Slot.EOS);
        }
        this.function = fn;
        this.defaultSystem = options.defaultSystem() != null ? options.defaultSystem() : b.defaultSystem;
        this.stopWords = List.copyOf(b.stopWords);
        this.thoughtOpen = b.thoughtOpen;
        this.thoughtClose = b.thoughtClose;
        this.toolCallOpen = b.toolCallOpen;
        this.toolCallClose = b.toolCallClose;
        this.efficientEos = b.efficientEos;
        this.replaceEos = b.replaceEos;
        this.systemInFirstUser = b.systemInFirstUser;
        this.reasoning = b.reasoning;
        this.options = options;
        this.clock = b.clock;
        this.thoughtPattern = Pattern.compile(Pattern.quote(thoughtOpen) + "(.*?)" + Pattern.quote(thoughtClose),
                Pattern.DOTALL);
        this.toolCallPattern = Pattern.compile(Pattern.quote(toolCallOpen) + "(.*?)" + Pattern.quote(toolCallClose),
                Pattern.DOTALL);
        this.builder = b;
        for (Formatter f : new Formatter[] {prefix, system, user, assistant, observation, function}) {
            for (Slot slot : f.slots()) {
                if (slot instanceof Slot.Text t && !t.text().contains("{{")) {
                    constantTexts.add(t.text());
                }
            }
        }
        constantTexts.add(thoughtOpen + thoughtClose);
    }

    private final Builder builder;

    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** A builder holding this template's definition, to derive a variant. */
    public Builder toBuilder() {
        return builder.copy();
    }

    @Override
    public String name() {
        return name;
    }

    public boolean replaceEos() {
        return replaceEos;
    }

    public boolean isReasoning() {
        return reasoning;
    }

    public String defaultSystem() {
        return defaultSystem;
    }

    public List<String> stopWords() {
        return stopWords;
    }

    public TemplateOptions options() {
        return options;
    }

    public ToolFormat toolFormat() {
        return toolFormat;
    }

    @Override
    public boolean efficientEos() {
        return efficientEos;
    }

    @Override
    public SlotTemplate withOptions(TemplateOptions newOptions) {
        return new SlotTemplate(builder, Objects.requireNonNull(newOptions));
    }

    /** The same template with {@code clock} for the date the llama3 tool prompt writes. */
    public SlotTemplate withClock(Clock c) {
        Builder b = builder.copy();
        b.clock = c;
        return new SlotTemplate(b, options);
    }

    @Override
    public OptionalInt eosId(Tokenizer tokenizer) {
        if (replaceEos) {
            return OptionalInt.of(requireToken(tokenizer, stopWords.get(0)));
        }
        OptionalInt eos = tokenizer.eosId();
        if (eos.isPresent()) {
            return eos;
        }
        return tokenizer.tokenId("<|endoftext|>"); // LF adds <|endoftext|> as EOS when a tokenizer has none
    }

    @Override
    public List<Integer> stopIds(Tokenizer tokenizer) {
        List<Integer> ids = new ArrayList<>();
        eosId(tokenizer).ifPresent(ids::add);
        for (String w : stopWords) {
            OptionalInt id = tokenizer.tokenId(w);
            if (id.isPresent() && !ids.contains(id.getAsInt())) {
                ids.add(id.getAsInt());
            }
        }
        return ids;
    }

    private int requireToken(Tokenizer tokenizer, String token) {
        OptionalInt id = tokenizer.tokenId(token);
        if (id.isEmpty()) {
            throw new FineTuneException("template " + name + " needs the token " + token
                    + " but the tokenizer has no such token (wrong template for this model?)");
        }
        return id.getAsInt();
    }

    // ---- encoding ----

    private static final class IntBuf {
        int[] a = new int[64];
        int n;

        void add(int v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        void addAll(int[] v) {
            if (n + v.length > a.length) {
                a = Arrays.copyOf(a, Math.max(a.length * 2, n + v.length));
            }
            System.arraycopy(v, 0, a, n, v.length);
            n += v.length;
        }

        int[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }

    /** Ids of text that does not depend on the message (slots without {{content}}, thought words), per tokenizer. */
    private final Map<Tokenizer, Map<String, int[]>> constantIds = Collections.synchronizedMap(new WeakHashMap<>());
    private final Set<String> constantTexts = new HashSet<>();

    private int[] encodeText(Tokenizer tokenizer, String text) {
        if (!constantTexts.contains(text)) {
            return tokenizer.encode(text);
        }
        Map<String, int[]> cache = constantIds.computeIfAbsent(tokenizer, k -> new ConcurrentHashMap<>());
        return cache.computeIfAbsent(text, tokenizer::encode);
    }

    private void slotsToIds(Tokenizer tokenizer, List<Slot> slots, IntBuf out) {
        for (Slot s : slots) {
            if (s instanceof Slot.Text t) {
                if (!t.text().isEmpty()) {
                    out.addAll(encodeText(tokenizer, t.text()));
                }
            } else if (s instanceof Slot.Bos) {
                tokenizer.bosId().ifPresent(out::add);
            } else if (s instanceof Slot.Eos) {
                eosId(tokenizer).ifPresent(out::add);
            } else if (s instanceof Slot.TokenRef r) {
                out.add(requireToken(tokenizer, r.token()));
            }
        }
    }

    /** LF {@code Template._encode}: one id list per message. */
    private List<int[]> encodeMessages(Tokenizer tokenizer, String sys, String tools, List<Message> messages) {
        String systemText = sys.isEmpty() ? (defaultSystem == null ? "" : defaultSystem) : sys;
        List<int[]> out = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            Message m = messages.get(i);
            IntBuf ids = new IntBuf();
            String firstUserPrefix = "";
            if (i == 0) {
                slotsToIds(tokenizer, prefix.apply("", null), ids);
                if (!systemText.isEmpty() || !tools.isEmpty()) {
                    String toolText = tools.isEmpty() ? "" : toolFormat.toolPrompt(tools, clock);
                    List<Slot> sysSlots = system.apply(systemText + toolText, null);
                    if (systemInFirstUser) {
                        firstUserPrefix = sysSlots.isEmpty() || !(sysSlots.get(0) instanceof Slot.Text t) ? ""
                                : t.text();
                    } else {
                        slotsToIds(tokenizer, sysSlots, ids);
                    }
                }
            }
            switch (m.role()) {
                case USER -> slotsToIds(tokenizer, user.apply(firstUserPrefix + m.content(), String.valueOf(i / 2)), ids);
                case ASSISTANT -> slotsToIds(tokenizer, assistant.apply(m.content(), null), ids);
                case OBSERVATION -> slotsToIds(tokenizer, observation.apply(m.content(), null), ids);
                case FUNCTION_CALL -> slotsToIds(tokenizer, function.apply(formatFunction(m.content()), null), ids);
                default -> throw new IllegalStateException();
            }
            out.add(ids.toArray());
        }
        return out;
    }

    /** LF FunctionFormatter: tool-call JSON (optionally with a think block or tool-call tags) to model text. */
    private String formatFunction(String content) {
        Matcher call = toolCallPattern.matcher(content);
        if (call.find()) {
            String thought = content.replace(call.group(0), "");
            return thought + functionFormat.formatCalls(ToolFormat.parseCalls(call.group(1)));
        }
        Matcher thought = thoughtPattern.matcher(content);
        if (thought.find()) {
            String json = content.replace(thought.group(0), "");
            return thought.group(0) + functionFormat.formatCalls(ToolFormat.parseCalls(json));
        }
        return functionFormat.formatCalls(ToolFormat.parseCalls(content));
    }

    private String removeThought(String content) {
        String s = thoughtPattern.matcher(content).replaceAll("");
        int i = 0;
        while (i < s.length() && s.charAt(i) == '\n') {
            i++;
        }
        return s.substring(i);
    }

    private boolean hasThought(String content) {
        return content.contains(thoughtOpen.strip()) || content.contains(thoughtClose.strip());
    }

    private int[] thoughtIds(Tokenizer tokenizer) {
        return encodeText(tokenizer, thoughtOpen + thoughtClose);
    }

    private static void checkShape(Conversation c, String templateName) {
        List<Message> ms = c.messages();
        if (ms.isEmpty() || ms.size() % 2 != 0) {
            throw new FineTuneException("template " + templateName + ": a conversation to encode must have an even "
                    + "number of turns ending with the model's, got " + ms.size());
        }
        String bad = c.validateTurns();
        if (bad != null) {
            throw new FineTuneException("template " + templateName + ": " + bad);
        }
    }

    private static List<Message> withContent(List<Message> ms, int i, String content) {
        ms.set(i, new Message(ms.get(i).role(), content));
        return ms;
    }

    @Override
    public List<EncodedTurn> encodeTurns(Tokenizer tokenizer, Conversation c, boolean discardHistoryThinking) {
        checkShape(c, name);
        List<Message> ms = new ArrayList<>(c.messages());
        Boolean thinking = options.enableThinking();
        if (reasoning) {
            if (Boolean.FALSE.equals(thinking)) {
                for (int i = 1; i < ms.size(); i += 2) {
                    withContent(ms, i, removeThought(ms.get(i).content()));
                }
            }
            if (discardHistoryThinking && !options.preserveThinking()) {
                for (int i = 1; i < ms.size() - 2; i += 2) {
                    withContent(ms, i, removeThought(ms.get(i).content()));
                }
            }
        }
        List<int[]> enc = encodeMessages(tokenizer, c.system(), c.tools(), ms);
        if (reasoning) {
            boolean onlyLast = discardHistoryThinking && !options.preserveThinking();
            for (int i = onlyLast ? ms.size() - 2 : 0; i < ms.size(); i += 2) {
                if (!hasThought(ms.get(i + 1).content())) {
                    int[] t = thoughtIds(tokenizer);
                    if (!Boolean.TRUE.equals(thinking)) {
                        enc.set(i, concat(enc.get(i), t));
                    } else {
                        enc.set(i + 1, concat(t, enc.get(i + 1)));
                    }
                }
            }
        }
        List<EncodedTurn> turns = new ArrayList<>(enc.size() / 2);
        for (int i = 0; i < enc.size(); i += 2) {
            turns.add(new EncodedTurn(enc.get(i), enc.get(i + 1)));
        }
        return turns;
    }

    @Override
    public EncodedTurn encodeOneTurn(Tokenizer tokenizer, Conversation c) {
        if (!reasoning) {
            return ChatTemplate.super.encodeOneTurn(tokenizer, c);
        }
        checkShape(c, name);
        List<Message> ms = new ArrayList<>(c.messages());
        if (!options.preserveThinking()) {
            for (int i = 1; i < ms.size() - 2; i += 2) {
                withContent(ms, i, removeThought(ms.get(i).content()));
            }
        }
        Boolean thinking = options.enableThinking();
        int last = ms.size() - 1;
        if (Boolean.FALSE.equals(thinking)) {
            withContent(ms, last, removeThought(ms.get(last).content()));
        }
        List<int[]> enc = encodeMessages(tokenizer, c.system(), c.tools(), ms);
        IntBuf prompt = new IntBuf();
        for (int i = 0; i < last; i++) {
            prompt.addAll(enc.get(i));
        }
        int[] answer = enc.get(last);
        if (!hasThought(ms.get(last).content())) {
            int[] t = thoughtIds(tokenizer);
            if (!Boolean.TRUE.equals(thinking)) {
                prompt.addAll(t);
            } else {
                answer = concat(t, answer);
            }
        }
        return new EncodedTurn(prompt.toArray(), answer);
    }

    static int[] concat(int[] a, int[] b) {
        int[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Override
    public String toString() {
        return "SlotTemplate[" + name + "]";
    }

    /** Defines a template; defaults as LLaMA-Factory's {@code register_template}. */
    public static final class Builder {
        private String name;
        private Formatter prefix = Formatter.EMPTY;
        private Formatter system = Formatter.of("{{content}}");
        private Formatter user = Formatter.of("{{content}}");
        private Formatter assistant;
        private Formatter observation;
        private Formatter function;
        private ToolFormat functionFormat = ToolFormat.DEFAULT;
        private ToolFormat toolFormat = ToolFormat.DEFAULT;
        private String defaultSystem = "";
        private List<String> stopWords = List.of();
        private String thoughtOpen = "<think>\n";
        private String thoughtClose = "\n</think>\n\n";
        private String toolCallOpen = "<tool_call>";
        private String toolCallClose = "</tool_call>";
        private boolean efficientEos;
        private boolean replaceEos;
        private boolean systemInFirstUser;
        private boolean reasoning;
        private Clock clock = Clock.systemDefaultZone();

        private Builder(String name) {
            this.name = name;
        }

        Builder copy() {
            Builder b = new Builder(name);
            b.prefix = prefix;
            b.system = system;
            b.user = user;
            b.assistant = assistant;
            b.observation = observation;
            b.function = function;
            b.functionFormat = functionFormat;
            b.toolFormat = toolFormat;
            b.defaultSystem = defaultSystem;
            b.stopWords = stopWords;
            b.thoughtOpen = thoughtOpen;
            b.thoughtClose = thoughtClose;
            b.toolCallOpen = toolCallOpen;
            b.toolCallClose = toolCallClose;
            b.efficientEos = efficientEos;
            b.replaceEos = replaceEos;
            b.systemInFirstUser = systemInFirstUser;
            b.reasoning = reasoning;
            b.clock = clock;
            return b;
        }

        public Builder name(String v) {
            name = v;
            return this;
        }

        /** Slots written once before the first message (e.g. BOS). */
        public Builder prefix(Formatter v) {
            prefix = v;
            return this;
        }

        public Builder system(Formatter v) {
            system = v;
            return this;
        }

        public Builder user(Formatter v) {
            user = v;
            return this;
        }

        /** Default {@code {{content}}} + EOS ({@code {{content}}} alone with efficient_eos). */
        public Builder assistant(Formatter v) {
            assistant = v;
            return this;
        }

        /** Default: the user formatter. */
        public Builder observation(Formatter v) {
            observation = v;
            return this;
        }

        /** Tool-call turns: slots (default: the assistant's) and how calls are written. */
        public Builder function(Formatter v, ToolFormat format) {
            function = v;
            functionFormat = format;
            return this;
        }

        /** How tool descriptions are written into the system prompt. */
        public Builder tools(ToolFormat v) {
            toolFormat = v;
            return this;
        }

        public Builder defaultSystem(String v) {
            defaultSystem = v == null ? "" : v;
            return this;
        }

        public Builder stopWords(List<String> v) {
            stopWords = List.copyOf(v);
            return this;
        }

        public Builder thoughtWords(String open, String close) {
            thoughtOpen = open;
            thoughtClose = close;
            return this;
        }

        public Builder toolCallWords(String open, String close) {
            toolCallOpen = open;
            toolCallClose = close;
            return this;
        }

        public Builder efficientEos(boolean v) {
            efficientEos = v;
            return this;
        }

        /** The first stop word becomes EOS. */
        public Builder replaceEos(boolean v) {
            replaceEos = v;
            return this;
        }

        /** Llama-2 style: the formatted system text is glued to the front of the first user message. */
        public Builder systemInFirstUser(boolean v) {
            systemInFirstUser = v;
            return this;
        }

        /** Qwen3-style think blocks (LF ReasoningTemplate). */
        public Builder reasoning(boolean v) {
            reasoning = v;
            return this;
        }

        public Builder clock(Clock v) {
            clock = v;
            return this;
        }

        public SlotTemplate build() {
            if (name == null || name.isBlank()) {
                throw new FineTuneException("a template needs a name");
            }
            if (assistant == null) {
                assistant = efficientEos ? Formatter.of("{{content}}") : Formatter.of("{{content}}", Slot.EOS);
            }
            for (Formatter f : new Formatter[] {system, user, assistant, observation, function}) {
                if (f != null && !f.hasContentPlaceholder()) {
                    throw new FineTuneException("template " + name + ": every formatter except the prefix needs a "
                            + "{{content}} placeholder in one of its text slots");
                }
            }
            if (replaceEos && stopWords.isEmpty()) {
                throw new FineTuneException("template " + name + ": replace_eos needs at least one stop word");
            }
            return new SlotTemplate(copy(), TemplateOptions.DEFAULTS);
        }
    }
}
