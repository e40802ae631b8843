package dev.finetune4j.datasets;

import dev.finetune4j.data.DatasetProblem;
import dev.finetune4j.data.Example;
import java.nio.file.Path;
import java.util.List;

/**
 * One record as a reader saw it, before any validation policy: the example it became, or the problems that
 * kept it from becoming one. {@link FileDataset#records()} streams these; {@code finetune validate} prints them.
 *
 * @param file     the file
 * @param line     1-based line where the record starts (0 for a problem with the whole file)
 * @param index    1-based index of the record in its file (0 for a problem with the whole file)
 * @param example  the example, or null when the record is invalid
 * @param problems empty when the record is valid
 * @param fatal    true when nothing after this point of the file can be read (a syntax error inside a JSON
 *                 array): the reader stops there whatever the validation policy
 */
public record ParsedRecord(Path file, long line, long index, Example example, List<DatasetProblem> problems,
        boolean fatal) {

    public ParsedRecord {
        problems = List.copyOf(problems);
        if ((example == null) == problems.isEmpty()) {
            throw new IllegalArgumentException("a record has an example or problems, not both or neither");
        }
    }

    public static ParsedRecord valid(Path file, long line, long index, Example example) {
        return new ParsedRecord(file, line, index, example, List.of(), false);
    }

    public boolean valid() {
        return example != null;
    }

    /** A problem with the whole file (e.g. the wrong extension), not with a record. */
    public boolean fileLevel() {
        return index == 0;
    }
}
