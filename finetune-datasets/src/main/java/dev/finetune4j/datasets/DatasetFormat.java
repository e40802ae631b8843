package dev.finetune4j.datasets;

import dev.finetune4j.FineTuneException;
import java.util.Locale;

/** The record layouts a file can have; the names are what {@code --format}/{@code --from}/{@code --to} take. */
public enum DatasetFormat {
    /** {@code instruction}, {@code input}, {@code output}, {@code system}, {@code history}; JSON array or JSONL. */
    ALPACA("alpaca"),
    /** {@code conversations} of {@code from}/{@code value} (or {@code messages} of {@code role}/{@code content}). */
    SHAREGPT("sharegpt"),
    /** SiliconFlow's fine-tuning JSONL: {@code messages} of system/user/assistant, strict rules. */
    SILICONFLOW("siliconflow"),
    /** Pre-training text: {@code .txt} one document per line, or JSON/JSONL with a {@code text} column. */
    TEXT("text");

    private final String id;

    DatasetFormat(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static DatasetFormat parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (DatasetFormat f : values()) {
            if (f.id.equals(n)) {
                return f;
            }
        }
        if (n.equals("openai")) {
            return SHAREGPT;
        }
        throw new FineTuneException("unknown dataset format '" + name + "': use alpaca, sharegpt, siliconflow or text");
    }

    @Override
    public String toString() {
        return id;
    }
}
