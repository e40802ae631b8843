package dev.finetune4j;

/**
 * An error the user can fix: bad input data, a bad setting, a missing file. The message is one line
 * that names what is wrong and, where it helps, what to change; the command line prints it without a
 * stack trace (exit code 1).
 */
public class FineTuneException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public FineTuneException(String message) {
        super(message);
    }

    public FineTuneException(String message, Throwable cause) {
        super(message, cause);
    }
}
