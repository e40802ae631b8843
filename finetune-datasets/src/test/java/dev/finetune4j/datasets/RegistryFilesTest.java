package dev.finetune4j.datasets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.DatasetOptions;
import dev.finetune4j.data.Example;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** dataset_info.json on made-up folders: path escapes, folders, num_samples, file types. */
class RegistryFilesTest {
    @TempDir
    Path tmp;

    Path dir;

    Path registry(String entries) throws Exception {
        dir = tmp.resolve("data");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("dataset_info.json"), "{" + entries + "}");
        return dir;
    }

    static String alpacaLines(int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append("{\"instruction\": \"q").append(i).append("\", \"output\": \"a").append(i).append("\"}\n");
        }
        return b.toString();
    }

    @Test
    void refusesDotDot() throws Exception {
        registry("\"x\": {\"file_name\": \"../secret.json\"}");
        Files.writeString(tmp.resolve("secret.json"), alpacaLines(1));
        FineTuneException e = assertThrows(FineTuneException.class, () -> Datasets.llamaFactory(dir, "x"));
        assertTrue(e.getMessage().contains("file_name '../secret.json' leads outside dataset_dir"), e.getMessage());
    }

    @Test
    void refusesAbsolutePaths() throws Exception {
        Files.writeString(tmp.resolve("secret.json"), alpacaLines(1));
        registry("\"x\": {\"file_name\": \"" + tmp.resolve("secret.json") + "\"}");
        FineTuneException e = assertThrows(FineTuneException.class, () -> Datasets.llamaFactory(dir, "x"));
        assertTrue(e.getMessage().contains("is an absolute path; it must be relative to dataset_dir"), e.getMessage());
    }

    @Test
    void refusesSymlinksLeadingOut() throws Exception {
        Files.writeString(tmp.resolve("secret.json"), alpacaLines(1));
        registry("\"x\": {\"file_name\": \"link.json\"}, \"y\": {\"file_name\": \"folder\"}");
        Files.createSymbolicLink(dir.resolve("link.json"), tmp.resolve("secret.json"));
        FineTuneException e = assertThrows(FineTuneException.class, () -> Datasets.llamaFactory(dir, "x"));
        assertTrue(e.getMessage().contains("is a symbolic link to " + tmp.resolve("secret.json").toRealPath()
                + ", outside dataset_dir"), e.getMessage());
        // a link inside a folder entry too
        Files.createDirectories(dir.resolve("folder"));
        Files.createSymbolicLink(dir.resolve("folder/part.json"), tmp.resolve("secret.json"));
        e = assertThrows(FineTuneException.class, () -> Datasets.llamaFactory(dir, "y"));
        assertTrue(e.getMessage().contains("outside dataset_dir"), e.getMessage());
        // a link that stays inside is fine
        Files.writeString(dir.resolve("inside.json"), alpacaLines(2));
        Files.delete(dir.resolve("link.json"));
        Files.createSymbolicLink(dir.resolve("link.json"), dir.resolve("inside.json"));
        assertEquals(2, TestFiles.examples(Datasets.llamaFactory(dir, "x")).size());
    }

    @Test
    void folderEntriesReadEveryFileInNameOrder() throws Exception {
        registry("\"x\": {\"file_name\": \"parts\"}, \"mixed\": {\"file_name\": \"mixed\"}");
        Files.createDirectories(dir.resolve("parts"));
        Files.writeString(dir.resolve("parts/b.jsonl"), alpacaLines(2));
        Files.writeString(dir.resolve("parts/a.jsonl"), alpacaLines(3));
        List<Example> ex = TestFiles.examples(Datasets.llamaFactory(dir, "x"));
        assertEquals(5, ex.size());
        assertEquals("q2", ((Conversation) ex.get(2)).messages().get(0).content());
        assertEquals("q0", ((Conversation) ex.get(3)).messages().get(0).content());
        Files.createDirectories(dir.resolve("mixed"));
        Files.writeString(dir.resolve("mixed/a.jsonl"), alpacaLines(1));
        Files.writeString(dir.resolve("mixed/b.json"), "[]");
        FineTuneException e = assertThrows(FineTuneException.class, () -> Datasets.llamaFactory(dir, "mixed"));
        assertTrue(e.getMessage().contains("mixes file types"), e.getMessage());
    }

    @Test
    void numSamplesResamplesWithTheSeed() throws Exception {
        registry("\"down\": {\"file_name\": \"d.jsonl\", \"num_samples\": 4},"
                + "\"up\": {\"file_name\": \"d.jsonl\", \"num_samples\": 25}");
        Files.writeString(dir.resolve("d.jsonl"), alpacaLines(10));
        List<Example> down = TestFiles.examples(Datasets.llamaFactory(dir, "down"));
        assertEquals(4, down.size());
        assertEquals(4, new HashSet<>(down).size()); // without replacement
        assertEquals(down, TestFiles.examples(Datasets.llamaFactory(dir, "down"))); // same seed, same rows
        assertNotEquals(down, TestFiles.examples(Datasets.llamaFactory(dir, "down",
                DatasetOptions.DEFAULTS.withSeed(7))));
        List<Example> up = TestFiles.examples(Datasets.llamaFactory(dir, "up"));
        assertEquals(25, up.size());
        Set<Example> distinct = new HashSet<>(up);
        assertEquals(10, distinct.size()); // every row at least once
        // max_samples applies after num_samples: the first 3 of the resampled rows
        assertEquals(down.subList(0, 3), TestFiles.examples(Datasets.llamaFactory(dir, "down").maxSamples(3)));
    }

    @Test
    void unsupportedFilesAndFormattings() throws Exception {
        registry("\"c\": {\"file_name\": \"d.csv\"}, \"o\": {\"file_name\": \"d.jsonl\", \"formatting\": \"openai\"},"
                + "\"s\": {\"file_name\": \"d.jsonl\", \"split\": \"validation\"}, \"n\": {\"formatting\": \"alpaca\"}");
        Files.writeString(dir.resolve("d.csv"), "a,b\n");
        Files.writeString(dir.resolve("d.jsonl"), alpacaLines(1));
        assertTrue(assertThrows(FineTuneException.class, () -> Datasets.llamaFactory(dir, "c")).getMessage()
                .contains(".csv files are not supported; convert the data to JSON Lines"));
        assertTrue(assertThrows(FineTuneException.class, () -> Datasets.llamaFactory(dir, "o")).getMessage()
                .contains("formatting 'openai' is not supported"));
        assertTrue(assertThrows(FineTuneException.class, () -> Datasets.llamaFactory(dir, "s")).getMessage()
                .contains("split 'validation' does not exist for a local file"));
        assertTrue(assertThrows(FineTuneException.class, () -> Datasets.llamaFactory(dir, "n")).getMessage()
                .endsWith("has no file_name"));
    }

    @Test
    void brokenRegistryGivesLineAndColumn() throws Exception {
        dir = tmp.resolve("data");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("dataset_info.json"), "{\n  \"x\": {\"file_name\": \"a.json\",}\n}");
        FineTuneException e = assertThrows(FineTuneException.class, () -> Datasets.llamaFactory(dir, "x"));
        assertTrue(e.getMessage().startsWith(dir.resolve("dataset_info.json") + ":2: column "), e.getMessage());
        e = assertThrows(FineTuneException.class, () -> Datasets.llamaFactory(tmp, "x"));
        assertTrue(e.getMessage().startsWith("no dataset_info.json in " + tmp), e.getMessage());
    }
}
