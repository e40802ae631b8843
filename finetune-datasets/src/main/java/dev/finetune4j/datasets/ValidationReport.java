package dev.finetune4j.datasets;

/**
 * What a full validation pass found.
 *
 * @param records      records read (a blank line of a SiliconFlow file counts as one)
 * @param invalid      records with at least one problem
 * @param fileProblems problems with a file as a whole (e.g. a SiliconFlow file not named .jsonl)
 * @param problems     all problems, record and file level
 */
public record ValidationReport(long records, long invalid, long fileProblems, long problems) {
    /** True when nothing is wrong: {@code finetune validate} exits 0. */
    public boolean ok() {
        return invalid == 0 && fileProblems == 0;
    }

    /** {@code N records, M invalid} (the command line's last line). */
    public String summary() {
        return records + " records, " + invalid + " invalid";
    }
}
