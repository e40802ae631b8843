package dev.finetune4j.data;

/** What a dataset reader does with a bad record. */
public enum ValidationPolicy {
    /**
     * Stop: reading fails with an {@link InvalidDatasetException} that lists the first problems found (the
     * reader scans on to collect up to {@link DatasetOptions#maxProblems()} of them).
     */
    STRICT,
    /** Drop the bad record, count it and log it, and go on (what LLaMA-Factory does). */
    LENIENT
}
