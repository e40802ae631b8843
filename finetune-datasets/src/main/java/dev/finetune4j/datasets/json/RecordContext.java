package dev.finetune4j.datasets.json;

import dev.finetune4j.data.DatasetProblem;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a record is (file, line, index) and the problems found in it so far. A {@link RecordConverter}
 * reports into it; the reader turns it into a {@link dev.finetune4j.datasets.ParsedRecord}.
 */
public final class RecordContext {
    private final Path file;
    private final long line;
    private final long index;
    private List<DatasetProblem> problems = List.of();

    public RecordContext(Path file, long line, long index) {
        this.file = file;
        this.line = line;
        this.index = index;
    }

    public Path file() {
        return file;
    }

    public long line() {
        return line;
    }

    public long index() {
        return index;
    }

    /** Records a problem with {@code field} (a path such as {@code messages[2].role}, or "" for the record). */
    public void problem(String field, String rule, String message) {
        if (problems.isEmpty()) {
            problems = new ArrayList<>(2);
        }
        problems.add(new DatasetProblem(file, line, 0, index, field, rule, message));
    }

    public boolean hasProblems() {
        return !problems.isEmpty();
    }

    public List<DatasetProblem> problems() {
        return problems;
    }
}
