package dev.finetune4j.config;

import dev.finetune4j.FineTuneException;
import java.util.Locale;

/** The preference loss of the DPO stage ({@code pref_loss:}, FORMATS.md §G). */
public enum PreferenceLoss {
    /** DPO (default), with optional label smoothing (cDPO). */
    SIGMOID,
    HINGE,
    IPO,
    /** Reference-free: odds-ratio preference optimisation. */
    ORPO,
    /** Reference-free: simple preference optimisation with a target margin. */
    SIMPO;

    public String yamlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** True for the losses that compare against a reference model. */
    public boolean needsReference() {
        return this == SIGMOID || this == HINGE || this == IPO;
    }

    public static PreferenceLoss parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (PreferenceLoss l : values()) {
            if (l.yamlName().equals(n)) {
                return l;
            }
        }
        if (n.equals("kto_pair")) {
            throw new FineTuneException("pref_loss 'kto_pair' is not supported; use stage: kto for KTO");
        }
        throw new FineTuneException("pref_loss '" + name + "' is not one of sigmoid, hinge, ipo, orpo, simpo");
    }
}
