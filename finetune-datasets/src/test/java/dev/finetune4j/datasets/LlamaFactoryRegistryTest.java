package dev.finetune4j.datasets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.FineTuneException;
import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.DatasetOptions;
import dev.finetune4j.data.DatasetRegistries;
import dev.finetune4j.data.DatasetSource;
import dev.finetune4j.data.Example;
import dev.finetune4j.data.KtoExample;
import dev.finetune4j.data.PreferenceExample;
import dev.finetune4j.data.Role;
import dev.finetune4j.data.TextDocument;
import dev.finetune4j.testing.SharedFixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every local entry of the shared LLaMA-Factory dataset_info.json loads through the registry with exactly its
 * file's record count. The counts were made independently with Python:
 * <pre>
 * json.load(f) → len(rows) for .json; non-blank lines for .jsonl; lines for .txt
 * </pre>
 */
class LlamaFactoryRegistryTest {
    /** name → (record count, kind of example). */
    static final Map<String, Object[]> EXPECTED = Map.ofEntries(
            Map.entry("identity", new Object[] {91, Conversation.class}),
            Map.entry("alpaca_en_demo", new Object[] {999, Conversation.class}),
            Map.entry("alpaca_zh_demo", new Object[] {1000, Conversation.class}),
            Map.entry("glaive_toolcall_en_demo", new Object[] {300, Conversation.class}),
            Map.entry("glaive_toolcall_zh_demo", new Object[] {300, Conversation.class}),
            Map.entry("dpo_en_demo", new Object[] {300, PreferenceExample.class}),
            Map.entry("dpo_zh_demo", new Object[] {300, PreferenceExample.class}),
            Map.entry("kto_en_demo", new Object[] {300, KtoExample.class}),
            Map.entry("wiki_demo", new Object[] {30, TextDocument.class}),
            Map.entry("c4_demo", new Object[] {300, TextDocument.class}),
            Map.entry("mllm_demo", new Object[] {6, Conversation.class}),
            Map.entry("mllm_audio_demo", new Object[] {3, Conversation.class}),
            Map.entry("mllm_video_demo", new Object[] {3, Conversation.class}),
            Map.entry("mllm_video_audio_demo", new Object[] {3, Conversation.class}));

    static Path dir() {
        return SharedFixtures.require("data/llamafactory/dataset_info.json").getParent();
    }

    /** The local (file_name) entries of the shared dataset_info.json, read with Jackson, not with the registry. */
    static Stream<String> localEntries() throws Exception {
        JsonNode root = new ObjectMapper().readTree(dir().resolve("dataset_info.json").toFile());
        List<String> names = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().has("file_name")) {
                names.add(e.getKey());
            }
        }
        return names.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("localEntries")
    void everyLocalEntryLoadsWithItsRecordCount(String name) throws Exception {
        Object[] expected = EXPECTED.get(name);
        assertTrue(expected != null, "no expected count for the new entry " + name + ": count its records and add it");
        // through the SPI, as the trainer does (strict: a dropped record would make the count wrong anyway)
        DatasetSource source = DatasetRegistries.open(dir(), List.of(name),
                DatasetOptions.DEFAULTS.withPolicy(dev.finetune4j.data.ValidationPolicy.STRICT));
        List<Example> examples;
        try (Stream<Example> s = source.open()) {
            examples = s.collect(Collectors.toList());
        }
        assertEquals(expected[0], examples.size());
        for (Example e : examples) {
            assertInstanceOf((Class<?>) expected[1], e);
        }
        Dataset d = (Dataset) source;
        boolean media = name.startsWith("mllm_");
        assertEquals(media, !d.notices().isEmpty(), d.notices().toString());
        if (media) {
            for (String n : d.notices()) {
                assertTrue(n.contains("is not supported (finetune4j trains text-only models)"), n);
            }
        }
    }

    @Test
    void contentsFollowTheColumnsAndTags() throws Exception {
        Path dir = dir();
        Conversation glaive = (Conversation) first(Datasets.llamaFactory(dir, "glaive_toolcall_en_demo"));
        assertTrue(glaive.tools().startsWith("[{\"name\": \"search_recipes\""), glaive.tools());
        assertTrue(glaive.messages().stream().anyMatch(m -> m.role() == Role.FUNCTION_CALL));
        assertTrue(glaive.messages().stream().anyMatch(m -> m.role() == Role.OBSERVATION));

        PreferenceExample dpo = (PreferenceExample) first(Datasets.llamaFactory(dir, "dpo_en_demo"));
        assertEquals(1, dpo.prompt().messages().size() % 2);
        assertEquals(Role.ASSISTANT, dpo.chosen().role());

        long desirable;
        try (Stream<Example> s = Datasets.llamaFactory(dir, "kto_en_demo").open()) {
            desirable = s.filter(e -> ((KtoExample) e).desirable()).count();
        }
        assertEquals(150, desirable); // python: sum(r['label'] for r in rows)

        Conversation mllm = (Conversation) first(Datasets.llamaFactory(dir, "mllm_demo"));
        assertTrue(mllm.messages().get(0).content().startsWith("<image>"), mllm.messages().get(0).content());

        TextDocument wiki = (TextDocument) first(Datasets.llamaFactory(dir, "wiki_demo"));
        assertTrue(wiki.text().startsWith("Anarchism is a political philosophy"), wiki.text());
    }

    @Test
    void commaSeparatedNamesConcatenateAndMaxSamplesIsPerDataset() throws Exception {
        Dataset both = Datasets.llamaFactory(dir(), "identity, alpaca_en_demo");
        assertEquals(91 + 999, TestFiles.examples(both).size());
        Dataset capped = both.maxSamples(10);
        List<Example> ex = TestFiles.examples(capped);
        assertEquals(20, ex.size());
        assertEquals(first(Datasets.llamaFactory(dir(), "alpaca_en_demo")), ex.get(10));
    }

    @Test
    void remoteEntriesFailClearly() {
        Path dir = dir();
        FineTuneException e = assertThrows(FineTuneException.class,
                () -> Datasets.llamaFactory(dir, "identity,alpaca_en"));
        assertTrue(e.getMessage().contains("dataset 'alpaca_en'"), e.getMessage());
        assertTrue(e.getMessage().contains("hf_hub_url: llamafactory/alpaca_en"), e.getMessage());
        assertTrue(e.getMessage().endsWith("remote datasets are not available; download it and use file_name"),
                e.getMessage());
        e = assertThrows(FineTuneException.class, () -> Datasets.llamaFactory(dir, "no_such_set"));
        assertTrue(e.getMessage().startsWith("dataset 'no_such_set' is not in "), e.getMessage());
    }

    static Example first(DatasetSource s) throws Exception {
        try (Stream<Example> st = s.open()) {
            return st.findFirst().orElseThrow();
        }
    }
}
