package dev.finetune4j.data;

import java.io.IOException;
import java.util.stream.Stream;

/**
 * Where training examples come from: a file in a known format, a LLaMA-Factory registry entry, or
 * anything a user implements. {@code finetune-datasets}' {@code Datasets} class makes the standard ones.
 */
public interface DatasetSource {

    /** A short description for logs and error messages, e.g. {@code data/cs.jsonl (siliconflow)}. */
    String description();

    /**
     * Opens a new pass over the examples, streaming (a large file is never held whole). The caller closes
     * the stream. What happens to a bad record (stop or drop) is the source's validation policy.
     */
    Stream<Example> open() throws IOException;
}
