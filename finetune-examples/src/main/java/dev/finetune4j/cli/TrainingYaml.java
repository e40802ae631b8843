package dev.finetune4j.cli;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.finetune4j.FineTuneException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A LLaMA-Factory training YAML read as LLaMA-Factory reads it: a flat mapping of argument names to values, keys in
 * file order. Relative paths in it stay relative, so they resolve against the working directory (as in
 * LLaMA-Factory), not against the file's folder.
 */
final class TrainingYaml {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    /** {@code owner/name}: how a HuggingFace hub id looks (one slash, no leading dot or slash). */
    private static final Pattern HUB_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*");

    private TrainingYaml() {
    }

    /** The keys and values of {@code file}; a syntax error names file, line and column. */
    static Map<String, Object> read(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new FineTuneException(file + " is a folder: give a training YAML file, e.g. examples/tiny_lora_sft.yaml");
        }
        JsonNode root;
        try {
            root = YAML.readTree(file.toFile());
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new FineTuneException("no such file: " + file);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : ":" + at.getLineNr() + ":" + at.getColumnNr();
            throw new FineTuneException(file + where + ": YAML syntax error: "
                    + e.getOriginalMessage().lines().findFirst().orElse("").strip());
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            throw new FineTuneException(file + " is empty: expected LLaMA-Factory training keys such as "
                    + "model_name_or_path, dataset, template and output_dir");
        }
        if (!root.isObject()) {
            throw new FineTuneException(file + ": expected a mapping of training keys (key: value per line), got a "
                    + root.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> values = YAML.convertValue(root, LinkedHashMap.class);
        return values;
    }

    /** First path segments that mean a local folder, not a hub owner. */
    private static final java.util.Set<String> LOCAL_ROOTS = java.util.Set.of("models", "model", "saves", "output",
            "outputs", "checkpoints", "data", "quickstart-output", "tmp");

    /**
     * A missing {@code model_name_or_path} as one line that says what to do: a HuggingFace hub id ({@code owner/name},
     * where no such folder exists) gets the download command, since finetune4j reads local checkpoints only; a
     * missing folder is named with the way to fill it.
     */
    static void checkModelFolder(Object modelNameOrPath) {
        if (modelNameOrPath == null) {
            return;
        }
        String s = String.valueOf(modelNameOrPath).trim();
        if (s.isEmpty() || s.equalsIgnoreCase("null")) {
            return;
        }
        Path p = Path.of(s);
        if (Files.exists(p)) {
            return;
        }
        String first = s.substring(0, Math.max(0, s.indexOf('/')));
        if (HUB_ID.matcher(s).matches() && !LOCAL_ROOTS.contains(first) && !Files.isDirectory(Path.of(first))) {
            String name = s.substring(s.indexOf('/') + 1);
            throw new FineTuneException("model_name_or_path '" + s + "' is a HuggingFace hub id and there is no such "
                    + "folder; finetune4j does not download models: run `huggingface-cli download " + s
                    + " --local-dir models/" + name + "` and set model_name_or_path: models/" + name
                    + " (README: \"Use a real model\")");
        }
        if (p.normalize().endsWith(Path.of("quickstart-output", "model"))) {
            throw new FineTuneException("model folder " + s + " does not exist: write it first with ./finetune tiny-model"
                    + " --out " + s + " (or ./finetune quickstart)");
        }
        throw new FineTuneException("model folder " + s + " does not exist: download the checkpoint there first (README:"
                + " \"Use a real model\") or set model_name_or_path to a HuggingFace checkpoint folder");
    }
}
