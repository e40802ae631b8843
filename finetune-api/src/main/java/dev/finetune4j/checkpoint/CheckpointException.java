package dev.finetune4j.checkpoint;

import dev.finetune4j.FineTuneException;

/** A checkpoint file or folder that cannot be read as it is: the message names the file and what is wrong. */
public class CheckpointException extends FineTuneException {
    private static final long serialVersionUID = 1L;

    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
