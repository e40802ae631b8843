package dev.finetune4j.datasets.convert;

/** An example the target format has no place for; the message says what and why. */
public final class Unrepresentable extends Exception {
    private static final long serialVersionUID = 1L;

    public Unrepresentable(String message) {
        super(message, null, false, false);
    }
}
