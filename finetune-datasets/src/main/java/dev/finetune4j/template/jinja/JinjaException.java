package dev.finetune4j.template.jinja;

import dev.finetune4j.FineTuneException;

/** A Jinja template that cannot be parsed or rendered; the message names the line of the template. */
public class JinjaException extends FineTuneException {
    private static final long serialVersionUID = 1L;

    public JinjaException(String message) {
        super(message);
    }
}
