package dev.finetune4j.model.tiny;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune4j.io.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small byte-level BPE tokenizer in HuggingFace's {@code tokenizer.json} format (the Qwen2 layout: NFC, the
 * Qwen2 split regex, byte-level pre-tokenizer and decoder): 256 byte tokens (id = byte value), then merges learned
 * from a corpus (so English and Chinese text get shorter sequences), then the special tokens
 * {@code <|endoftext|>}, {@code <|im_start|>}, {@code <|im_end|>}. Loads in HF's tokenizers engine; deterministic.
 */
public final class TinyTokenizer {
    public static final String END_OF_TEXT = "<|endoftext|>";
    public static final String IM_START = "<|im_start|>";
    public static final String IM_END = "<|im_end|>";
    /** The Qwen2 pre-tokenizer pattern (as in Qwen2.5's tokenizer.json). */
    public static final String SPLIT_REGEX =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] BYTE_CHARS = byteToUnicode();

    private final List<String> vocab;      // id -> token string (byte-level characters)
    private final List<String[]> merges;   // in rank order

    private TinyTokenizer(List<String> vocab, List<String[]> merges) {
        this.vocab = vocab;
        this.merges = merges;
    }

    /** The built-in English/Chinese corpus the tiny models learn their merges from. */
    public static String defaultCorpus() {
        try (InputStream in = TinyTokenizer.class.getResourceAsStream("corpus.txt")) {
            if (in == null) {
                throw new IllegalStateException("corpus.txt resource missing");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Learns up to {@code maxMerges} merges from {@code corpus} (most frequent pair first, ties broken by the
     * smaller pair of ids; pairs seen fewer than twice are not merged).
     */
    public static TinyTokenizer train(String corpus, int maxMerges) {
        List<String> vocab = new ArrayList<>(List.of(BYTE_CHARS));
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < vocab.size(); i++) {
            ids.put(vocab.get(i), i);
        }
        // word frequencies over pre-tokenized pieces, each a sequence of token ids
        Map<String, Integer> counts = new LinkedHashMap<>();
        Matcher m = Pattern.compile(SPLIT_REGEX).matcher(Normalizer.normalize(corpus, Normalizer.Form.NFC));
        while (m.find()) {
            counts.merge(m.group(), 1, Integer::sum);
        }
        List<int[]> words = new ArrayList<>();
        List<Integer> freqs = new ArrayList<>();
        counts.forEach((w, c) -> {
            byte[] b = w.getBytes(StandardCharsets.UTF_8);
            int[] seq = new int[b.length];
            for (int i = 0; i < b.length; i++) {
                seq[i] = b[i] & 0xFF;
            }
            words.add(seq);
            freqs.add(c);
        });
        List<String[]> merges = new ArrayList<>();
        while (merges.size() < maxMerges) {
            Map<Long, Integer> pairs = new HashMap<>();
            for (int w = 0; w < words.size(); w++) {
                int[] s = words.get(w);
                for (int i = 0; i + 1 < s.length; i++) {
                    pairs.merge(((long) s[i] << 32) | s[i + 1], freqs.get(w), Integer::sum);
                }
            }
            long best = -1;
            int bestCount = 1;
            for (Map.Entry<Long, Integer> e : pairs.entrySet()) {
                if (e.getValue() > bestCount || (e.getValue() == bestCount && best >= 0 && e.getKey() < best)) {
                    best = e.getKey();
                    bestCount = e.getValue();
                }
            }
            if (best < 0) {
                break;
            }
            int a = (int) (best >>> 32);
            int b = (int) best;
            String merged = vocab.get(a) + vocab.get(b);
            Integer id = ids.get(merged);
            if (id == null) {
                id = vocab.size();
                vocab.add(merged);
                ids.put(merged, id);
            }
            merges.add(new String[] {vocab.get(a), vocab.get(b)});
            for (int w = 0; w < words.size(); w++) {
                words.set(w, apply(words.get(w), a, b, id));
            }
        }
        vocab.add(END_OF_TEXT);
        vocab.add(IM_START);
        vocab.add(IM_END);
        return new TinyTokenizer(vocab, merges);
    }

    private static int[] apply(int[] s, int a, int b, int id) {
        int[] out = new int[s.length];
        int n = 0;
        for (int i = 0; i < s.length; i++) {
            if (i + 1 < s.length && s[i] == a && s[i + 1] == b) {
                out[n++] = id;
                i++;
            } else {
                out[n++] = s[i];
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    /** GPT-2's reversible byte → printable character table. */
    private static String[] byteToUnicode() {
        String[] out = new String[256];
        boolean[] direct = new boolean[256];
        for (int b = '!'; b <= '~'; b++) {
            direct[b] = true;
        }
        for (int b = 0xA1; b <= 0xAC; b++) {
            direct[b] = true;
        }
        for (int b = 0xAE; b <= 0xFF; b++) {
            direct[b] = true;
        }
        int next = 0;
        for (int b = 0; b < 256; b++) {
            out[b] = direct[b] ? String.valueOf((char) b) : String.valueOf((char) (256 + next++));
        }
        return out;
    }

    /** Number of tokens including the special ones (the model's vocab must be at least this). */
    public int size() {
        return vocab.size();
    }

    public int mergeCount() {
        return merges.size();
    }

    public int endOfTextId() {
        return vocab.size() - 3;
    }

    public int imStartId() {
        return vocab.size() - 2;
    }

    public int imEndId() {
        return vocab.size() - 1;
    }

    /** {@code tokenizer.json}. */
    public ObjectNode tokenizerJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int id = endOfTextId(); id < vocab.size(); id++) {
            ObjectNode t = added.addObject();
            t.put("id", id);
            t.put("content", vocab.get(id));
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putObject("normalizer").put("type", "NFC");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Sequence");
        ArrayNode pres = pre.putArray("pretokenizers");
        ObjectNode split = pres.addObject();
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", SPLIT_REGEX);
        split.put("behavior", "Isolated");
        split.put("invert", false);
        byteLevel(pres.addObject());
        byteLevel(root.putObject("post_processor"));
        byteLevel(root.putObject("decoder"));
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.put("continuing_subword_prefix", "");
        model.put("end_of_word_suffix", "");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        ObjectNode v = model.putObject("vocab");
        for (int id = 0; id < endOfTextId(); id++) {
            v.put(vocab.get(id), id);
        }
        ArrayNode mg = model.putArray("merges");
        for (String[] pair : merges) {
            mg.addArray().add(pair[0]).add(pair[1]);
        }
        return root;
    }

    private static void byteLevel(ObjectNode n) {
        n.put("type", "ByteLevel");
        n.put("add_prefix_space", false);
        n.put("trim_offsets", false);
        n.put("use_regex", false);
    }

    /** {@code tokenizer_config.json}, with the ChatML {@code chat_template}. */
    public ObjectNode tokenizerConfigJson(int modelMaxLength) {
        ObjectNode c = JSON.createObjectNode();
        c.put("add_bos_token", false);
        c.put("add_prefix_space", false);
        ObjectNode dec = c.putObject("added_tokens_decoder");
        for (int id = endOfTextId(); id < vocab.size(); id++) {
            ObjectNode t = dec.putObject(Integer.toString(id));
            t.put("content", vocab.get(id));
            t.put("lstrip", false);
            t.put("normalized", false);
            t.put("rstrip", false);
            t.put("single_word", false);
            t.put("special", true);
        }
        c.putArray("additional_special_tokens").add(IM_START).add(IM_END);
        c.putNull("bos_token");
        c.put("chat_template", CHAT_TEMPLATE);
        c.put("clean_up_tokenization_spaces", false);
        c.put("eos_token", IM_END);
        c.put("errors", "replace");
        c.put("model_max_length", modelMaxLength);
        c.put("pad_token", END_OF_TEXT);
        c.put("split_special_tokens", false);
        c.put("tokenizer_class", "Qwen2Tokenizer");
        c.putNull("unk_token");
        return c;
    }

    /** {@code special_tokens_map.json}. */
    public ObjectNode specialTokensMapJson() {
        ObjectNode c = JSON.createObjectNode();
        c.putArray("additional_special_tokens").add(IM_START).add(IM_END);
        c.put("eos_token", IM_END);
        c.put("pad_token", END_OF_TEXT);
        return c;
    }

    /** Writes tokenizer.json, tokenizer_config.json and special_tokens_map.json into {@code dir} (atomically). */
    public void write(Path dir, int modelMaxLength) throws IOException {
        AtomicFiles.writeString(dir.resolve("tokenizer.json"), JSON.writeValueAsString(tokenizerJson()));
        AtomicFiles.writeString(dir.resolve("tokenizer_config.json"),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(tokenizerConfigJson(modelMaxLength)));
        AtomicFiles.writeString(dir.resolve("special_tokens_map.json"),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(specialTokensMapJson()));
    }

    /**
     * ChatML, as Qwen2.5 lays it out: a system turn (default "You are a helpful assistant."), then
     * {@code <|im_start|>role\ncontent<|im_end|>\n} per message; tools listed in the system turn and tool calls /
     * results wrapped in {@code <tool_call>} / {@code <tool_response>}; {@code add_generation_prompt} opens the
     * assistant turn.
     */
    public static final String CHAT_TEMPLATE = String.join("",
            "{%- if messages and messages[0]['role'] == 'system' %}",
            "{%- set system_message = messages[0]['content'] %}",
            "{%- else %}",
            "{%- set system_message = 'You are a helpful assistant.' %}",
            "{%- endif %}",
            "{{- '<|im_start|>system\\n' + system_message }}",
            "{%- if tools %}",
            "{{- '\\n\\n# Tools\\n\\nFunctions you may call, one JSON signature per line:\\n<tools>' }}",
            "{%- for tool in tools %}{{- '\\n' + (tool | tojson) }}{%- endfor %}",
            "{{- '\\n</tools>\\n\\nTo call one, answer with <tool_call>\\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\\n</tool_call>' }}",
            "{%- endif %}",
            "{{- '<|im_end|>\\n' }}",
            "{%- for message in messages %}",
            "{%- if message['role'] == 'system' and loop.first %}",
            "{%- elif message['role'] == 'assistant' and message['tool_calls'] %}",
            "{{- '<|im_start|>assistant' }}",
            "{%- if message['content'] %}{{- '\\n' + message['content'] }}{%- endif %}",
            "{%- for call in message['tool_calls'] %}",
            "{%- set fn = call['function'] if call['function'] else call %}",
            "{{- '\\n<tool_call>\\n{\"name\": \"' + fn['name'] + '\", \"arguments\": ' }}",
            "{{- fn['arguments'] if fn['arguments'] is string else (fn['arguments'] | tojson) }}",
            "{{- '}\\n</tool_call>' }}",
            "{%- endfor %}",
            "{{- '<|im_end|>\\n' }}",
            "{%- elif message['role'] == 'tool' %}",
            "{%- if loop.first or messages[loop.index0 - 1]['role'] != 'tool' %}{{- '<|im_start|>user' }}{%- endif %}",
            "{{- '\\n<tool_response>\\n' + message['content'] + '\\n</tool_response>' }}",
            "{%- if loop.last or messages[loop.index0 + 1]['role'] != 'tool' %}{{- '<|im_end|>\\n' }}{%- endif %}",
            "{%- else %}",
            "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}",
            "{%- endif %}",
            "{%- endfor %}",
            "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}");
}
