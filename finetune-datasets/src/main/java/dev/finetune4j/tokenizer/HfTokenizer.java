package dev.finetune4j.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.FineTuneException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A HuggingFace tokenizer ({@code tokenizer.json}) run by the real HF tokenizers engine (Rust, through DJL's
 * JNI binding; the native library ships inside the DJL jar), with the special tokens and chat template of
 * {@code tokenizer_config.json} / {@code special_tokens_map.json} / {@code chat_template.jinja}.
 *
 * <p>DJL's own defaults (truncation at the model's max length, adding special tokens) are switched off: ids
 * are exactly HF {@code tokenizer.encode(text, add_special_tokens=False)}.
 */
public final class HfTokenizer implements Tokenizer {
    private static final Logger LOG = LoggerFactory.getLogger(HfTokenizer.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final HuggingFaceTokenizer engine;
    private final long handle;
    private final Map<String, Integer> vocab;
    private final String[] idToToken;
    private final boolean[] special;
    private final String bos;
    private final String eos;
    private final String pad;
    private final boolean addBos;
    private final String chatTemplate;
    private volatile boolean closed;

    private HfTokenizer(HuggingFaceTokenizer engine, Map<String, Integer> vocab, Set<Integer> specialIds, String bos,
            String eos, String pad, boolean addBos, String chatTemplate) {
        this.engine = engine;
        this.handle = engine.getHandle();
        this.vocab = vocab;
        int max = -1;
        for (int id : vocab.values()) {
            max = Math.max(max, id);
        }
        this.idToToken = new String[max + 1];
        vocab.forEach((t, id) -> idToToken[id] = t);
        this.special = new boolean[max + 1];
        for (int id : specialIds) {
            if (id >= 0 && id <= max) {
                special[id] = true;
            }
        }
        this.bos = bos;
        this.eos = eos;
        this.pad = pad;
        this.addBos = addBos;
        this.chatTemplate = chatTemplate;
    }

    /** True when {@code dir} holds a {@code tokenizer.json}. */
    public static boolean isTokenizerFolder(Path dir) {
        return Files.isRegularFile(dir.resolve("tokenizer.json"));
    }

    /** Loads the tokenizer of a model folder ({@code tokenizer.json} required, the config files optional). */
    public static HfTokenizer load(Path dir) throws IOException {
        Path tokenizerJson = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new FineTuneException("no tokenizer.json in " + dir + " (a HuggingFace model folder is expected)");
        }
        Map<String, Integer> vocab = new HashMap<>();
        Set<Integer> specialIds = new HashSet<>();
        readVocab(tokenizerJson, vocab, specialIds);

        JsonNode config = readJson(dir.resolve("tokenizer_config.json"));
        JsonNode specialMap = readJson(dir.resolve("special_tokens_map.json"));
        JsonNode decoder = config.path("added_tokens_decoder");
        decoder.fields().forEachRemaining(e -> {
            String content = e.getValue().path("content").asText(null);
            int id = Integer.parseInt(e.getKey());
            if (content != null && !vocab.containsKey(content)) {
                LOG.warn("{}: added token {} (id {}) of tokenizer_config.json is not in tokenizer.json; "
                        + "the engine will not recognise it in text", dir, content, id);
                vocab.put(content, id);
            }
            if (e.getValue().path("special").asBoolean(false)) {
                specialIds.add(id);
            }
        });
        String bos = specialToken(config, specialMap, "bos_token");
        String eos = specialToken(config, specialMap, "eos_token");
        String pad = specialToken(config, specialMap, "pad_token");
        boolean addBos = config.path("add_bos_token").asBoolean(false);
        String chatTemplate = chatTemplate(dir, config);

        HuggingFaceTokenizer engine = HuggingFaceTokenizer.builder()
                .optTokenizerPath(tokenizerJson)
                .optAddSpecialTokens(false)
                .optTruncation(false)
                .optPadding(false)
                .build();
        return new HfTokenizer(engine, vocab, specialIds, bos, eos, pad, addBos, chatTemplate);
    }

    private static JsonNode readJson(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return MAPPER.createObjectNode();
        }
        try {
            return MAPPER.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new FineTuneException(file + ":" + e.getLocation().getLineNr() + ":" + e.getLocation().getColumnNr()
                    + ": invalid JSON: " + e.getOriginalMessage());
        }
    }

    private static String specialToken(JsonNode config, JsonNode map, String key) {
        for (JsonNode source : new JsonNode[] {config, map}) {
            JsonNode n = source.get(key);
            if (n == null || n.isNull()) {
                continue;
            }
            if (n.isTextual()) {
                return n.asText();
            }
            if (n.isObject() && n.path("content").isTextual()) {
                return n.path("content").asText();
            }
        }
        return null;
    }

    private static String chatTemplate(Path dir, JsonNode config) throws IOException {
        Path jinja = dir.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinja)) {
            return Files.readString(jinja, StandardCharsets.UTF_8);
        }
        JsonNode t = config.get("chat_template");
        if (t == null || t.isNull()) {
            return null;
        }
        if (t.isTextual()) {
            return t.asText();
        }
        if (t.isArray()) { // [{"name": "default", "template": "..."}, {"name": "tool_use", ...}]
            for (JsonNode e : t) {
                if ("default".equals(e.path("name").asText())) {
                    return e.path("template").asText();
                }
            }
            return t.size() > 0 ? t.get(0).path("template").asText(null) : null;
        }
        return null;
    }

    /** Streams tokenizer.json for model.vocab and added_tokens (the file is often over 10 MB). */
    private static void readVocab(Path file, Map<String, Integer> vocab, Set<Integer> specialIds) throws IOException {
        try (InputStream in = Files.newInputStream(file); JsonParser p = new JsonFactory().createParser(in)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new FineTuneException(file + ": expected a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if (name.equals("added_tokens") && t == JsonToken.START_ARRAY) {
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        JsonNode tok = MAPPER.readTree(p);
                        int id = tok.path("id").asInt();
                        vocab.put(tok.path("content").asText(), id);
                        if (tok.path("special").asBoolean(false)) {
                            specialIds.add(id);
                        }
                    }
                } else if (name.equals("model") && t == JsonToken.START_OBJECT) {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String field = p.currentName();
                        JsonToken vt = p.nextToken();
                        if (field.equals("vocab") && vt == JsonToken.START_OBJECT) {
                            while (p.nextToken() == JsonToken.FIELD_NAME) {
                                String token = p.currentName();
                                p.nextToken();
                                vocab.putIfAbsent(token, p.getIntValue());
                            }
                        } else if (field.equals("vocab") && vt == JsonToken.START_ARRAY) { // Unigram
                            int id = 0;
                            while (p.nextToken() == JsonToken.START_ARRAY) {
                                p.nextToken();
                                vocab.putIfAbsent(p.getText(), id++);
                                p.skipChildren();
                                while (p.nextToken() != JsonToken.END_ARRAY) {
                                    p.skipChildren();
                                }
                            }
                        } else {
                            p.skipChildren();
                        }
                    }
                } else {
                    p.skipChildren();
                }
            }
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("tokenizer is closed");
        }
    }

    @Override
    public int[] encode(String text) {
        checkOpen();
        if (text.isEmpty()) {
            return new int[0];
        }
        long enc = TokenizersLibrary.LIB.encode(handle, text, false);
        try {
            return toInts(TokenizersLibrary.LIB.getTokenIds(enc));
        } finally {
            TokenizersLibrary.LIB.deleteEncoding(enc);
        }
    }

    @Override
    public List<int[]> encodeAll(List<String> texts) {
        checkOpen();
        if (texts.isEmpty()) {
            return List.of();
        }
        long[] encs = TokenizersLibrary.LIB.batchEncode(handle, texts.toArray(new String[0]), false);
        List<int[]> out = new ArrayList<>(encs.length);
        try {
            for (long enc : encs) {
                out.add(toInts(TokenizersLibrary.LIB.getTokenIds(enc)));
            }
        } finally {
            for (long enc : encs) {
                TokenizersLibrary.LIB.deleteEncoding(enc);
            }
        }
        return out;
    }

    @Override
    public TokenizedText encodeWithOffsets(String text) {
        checkOpen();
        if (text.isEmpty()) {
            return new TokenizedText(new int[0], new int[0], new int[0]);
        }
        long enc = TokenizersLibrary.LIB.encode(handle, text, false);
        try {
            int[] ids = toInts(TokenizersLibrary.LIB.getTokenIds(enc));
            CharSpan[] spans = TokenizersLibrary.LIB.getTokenCharSpans(enc);
            int[] starts = new int[ids.length];
            int[] ends = new int[ids.length];
            // the engine reports offsets in Unicode code points; Java strings index UTF-16 units
            boolean surrogates = text.length() != text.codePointCount(0, text.length());
            for (int i = 0; i < ids.length; i++) {
                int s = spans[i] == null ? (i > 0 ? ends[i - 1] : 0) : spans[i].getStart();
                int e = spans[i] == null ? s : spans[i].getEnd();
                starts[i] = surrogates ? text.offsetByCodePoints(0, s) : s;
                ends[i] = surrogates ? text.offsetByCodePoints(0, e) : e;
            }
            return new TokenizedText(ids, starts, ends);
        } finally {
            TokenizersLibrary.LIB.deleteEncoding(enc);
        }
    }

    private static int[] toInts(long[] ids) {
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = (int) ids[i];
        }
        return out;
    }

    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        checkOpen();
        return engine.decode(Arrays.stream(ids).asLongStream().toArray(), skipSpecialTokens);
    }

    @Override
    public OptionalInt tokenId(String token) {
        Integer id = vocab.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    @Override
    public Optional<String> token(int id) {
        return id >= 0 && id < idToToken.length ? Optional.ofNullable(idToToken[id]) : Optional.empty();
    }

    @Override
    public int vocabSize() {
        return idToToken.length;
    }

    @Override
    public Optional<String> bosToken() {
        return Optional.ofNullable(bos);
    }

    @Override
    public Optional<String> eosToken() {
        return Optional.ofNullable(eos);
    }

    @Override
    public Optional<String> padToken() {
        return Optional.ofNullable(pad);
    }

    @Override
    public boolean isSpecial(int id) {
        return id >= 0 && id < special.length && special[id];
    }

    @Override
    public boolean addBosToken() {
        return addBos;
    }

    @Override
    public Optional<String> chatTemplate() {
        return Optional.ofNullable(chatTemplate);
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            engine.close();
        }
    }
}
