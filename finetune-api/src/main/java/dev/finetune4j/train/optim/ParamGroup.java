package dev.finetune4j.train.optim;

import dev.finetune4j.nn.Parameter;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Parameters that share optimizer settings (torch's {@code param_groups}): the scheduled learning rate times
 * {@code lrScale}, and their own decoupled weight decay.
 *
 * @param name        a label for logs and the saved state ({@code decay}, {@code no_decay}, {@code lora_B}…)
 * @param parameters  trainable parameters (each belongs to one group)
 * @param lrScale     multiplier of the scheduled learning rate (1 normally; LoRA+ gives B a larger one)
 * @param weightDecay decoupled weight decay ({@code p -= lr·wd·p} before the Adam update)
 */
public record ParamGroup(String name, List<Parameter> parameters, double lrScale, double weightDecay) {
    /** HuggingFace Trainer's names of parameters without weight decay (biases and norm weights), lower-cased. */
    private static final List<Pattern> NO_DECAY = List.of(Pattern.compile("bias"), Pattern.compile("layernorm"),
            Pattern.compile("rmsnorm"), Pattern.compile("(?:^|\\.)norm(?:$|\\.)"), Pattern.compile("_norm(?:$|\\.)"));

    public ParamGroup {
        Objects.requireNonNull(name, "name");
        parameters = List.copyOf(parameters);
        if (!(lrScale >= 0) || Double.isInfinite(lrScale)) {
            throw new IllegalArgumentException("parameter group " + name + ": lrScale must be >= 0, got " + lrScale);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("parameter group " + name + ": weight decay must be >= 0, got "
                    + weightDecay);
        }
    }

    /** One group, learning-rate scale 1. */
    public static List<ParamGroup> single(List<Parameter> parameters, double weightDecay) {
        return List.of(new ParamGroup("default", parameters, 1, weightDecay));
    }

    /**
     * HuggingFace Trainer's two groups: {@code decay} gets {@code weightDecay}; {@code no_decay} (names containing
     * bias, layernorm, rmsnorm, a {@code norm} component or a {@code _norm} suffix) gets none. Empty groups are left
     * out. LoRA's A and B are all in {@code decay}.
     */
    public static List<ParamGroup> huggingFaceDefault(List<Parameter> parameters, double weightDecay) {
        List<Parameter> decay = parameters.stream().filter(p -> decays(p.name())).toList();
        List<Parameter> noDecay = parameters.stream().filter(p -> !decays(p.name())).toList();
        List<ParamGroup> out = new java.util.ArrayList<>(2);
        if (!decay.isEmpty()) {
            out.add(new ParamGroup("decay", decay, 1, weightDecay));
        }
        if (!noDecay.isEmpty()) {
            out.add(new ParamGroup("no_decay", noDecay, 1, 0));
        }
        return out;
    }

    /** Whether HF's Trainer applies weight decay to the parameter named {@code name}. */
    public static boolean decays(String name) {
        String n = name.toLowerCase(java.util.Locale.ROOT);
        return NO_DECAY.stream().noneMatch(p -> p.matcher(n).find());
    }
}
