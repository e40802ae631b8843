package dev.finetune4j.datasets;

import java.util.Map;
import java.util.Objects;

/**
 * Where an Alpaca or ShareGPT record keeps its parts: the {@link Columns}, the ShareGPT {@link Tags}, and whether
 * records are preference pairs ({@code ranking}). {@code tags} null means "guess per record" ({@code from}/
 * {@code value} or {@code role}/{@code content}); {@code ranking} null means "a pair when the record has both
 * chosen and rejected". Registry entries are exact (never guessed), as in LLaMA-Factory.
 *
 * <pre>{@code
 * RecordLayout.shareGpt().withColumns(Map.of("messages", "dialog")).withTags(Map.of("user_tag", "customer"))
 * }</pre>
 */
public record RecordLayout(Columns columns, Tags tags, Boolean ranking) {

    public RecordLayout {
        Objects.requireNonNull(columns, "columns");
    }

    /** Standalone Alpaca files: instruction, input, output, system, history (chosen/rejected make a pair). */
    public static RecordLayout alpaca() {
        return new RecordLayout(Columns.ALPACA, null, null);
    }

    /**
     * Standalone ShareGPT files: {@code conversations} (or {@code messages}), either tag style, {@code system},
     * {@code tools}, and {@code chosen}/{@code rejected} for pairs.
     */
    public static RecordLayout shareGpt() {
        return new RecordLayout(Columns.SHAREGPT, null, null);
    }

    /** ShareGPT with exactly these tags (no guessing). */
    public static RecordLayout shareGpt(Tags tags) {
        return new RecordLayout(Columns.SHAREGPT, tags, null);
    }

    /** With LLaMA-Factory {@code columns} keys ({@code messages}, {@code system}, ...) replaced. */
    public RecordLayout withColumns(Map<String, String> overrides) {
        return new RecordLayout(columns.with(overrides), tags, ranking);
    }

    /** With LLaMA-Factory {@code tags} keys ({@code role_tag}, {@code user_tag}, ...) replaced; stops the guessing. */
    public RecordLayout withTags(Map<String, String> overrides) {
        return new RecordLayout(columns, (tags == null ? Tags.SHAREGPT : tags).with(overrides), ranking);
    }

    public RecordLayout withRanking(Boolean v) {
        return new RecordLayout(columns, tags, v);
    }
}
