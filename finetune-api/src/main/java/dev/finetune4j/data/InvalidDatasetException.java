package dev.finetune4j.data;

import dev.finetune4j.FineTuneException;
import java.util.List;

/**
 * A dataset broke its format's rules under {@link ValidationPolicy#STRICT}. The message is the first
 * problem's line (and how many more there are); {@link #problems()} holds them all.
 */
public class InvalidDatasetException extends FineTuneException {
    private static final long serialVersionUID = 1L;

    private final transient List<DatasetProblem> problems;

    public InvalidDatasetException(List<DatasetProblem> problems) {
        super(message(problems));
        this.problems = List.copyOf(problems);
    }

    public List<DatasetProblem> problems() {
        return problems;
    }

    private static String message(List<DatasetProblem> problems) {
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("an invalid dataset has at least one problem");
        }
        String first = problems.get(0).format();
        return problems.size() == 1 ? first
                : first + " (and " + (problems.size() - 1) + " more problem" + (problems.size() == 2 ? "" : "s")
                        + "; run finetune validate to see all)";
    }
}
