package dev.finetune4j.adapters.lora;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which linear layers LoRA wraps, matched against HuggingFace module paths ({@code model.layers.0.self_attn.q_proj})
 * as PEFT's {@code target_modules} does:
 * <ul>
 *   <li>{@link Names}: a module matches if its path equals an entry or ends with {@code "." + entry};</li>
 *   <li>{@link Regex}: the whole path matches the regular expression (Python {@code re.fullmatch});</li>
 *   <li>{@link AllLinear}: every linear layer except the output layer ({@code lm_head}); PEFT's
 *       {@code "all-linear"}, LLaMA-Factory's {@code lora_target: all}.</li>
 * </ul>
 */
public sealed interface TargetModules {

    /** Whether {@code modulePath} is a target; {@code outputLayer} marks the LM head. */
    boolean matches(String modulePath, boolean outputLayer);

    /** A list of module names or path suffixes. */
    record Names(List<String> names) implements TargetModules {
        public Names {
            names = List.copyOf(new TreeSet<>(names));
            if (names.isEmpty()) {
                throw new IllegalArgumentException("LoRA target modules: the list is empty");
            }
            for (String n : names) {
                if (n.isBlank()) {
                    throw new IllegalArgumentException("LoRA target modules: an empty name in " + names);
                }
            }
        }

        @Override
        public boolean matches(String modulePath, boolean outputLayer) {
            for (String n : names) {
                if (modulePath.equals(n) || modulePath.endsWith("." + n)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** A regular expression the whole module path must match. */
    record Regex(String pattern) implements TargetModules {
        public Regex {
            Objects.requireNonNull(pattern, "pattern");
            try {
                Pattern.compile(pattern);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("LoRA target modules: '" + pattern + "' is not a valid regular "
                        + "expression: " + e.getDescription());
            }
        }

        @Override
        public boolean matches(String modulePath, boolean outputLayer) {
            return Pattern.compile(pattern).matcher(modulePath).matches();
        }
    }

    /** Every linear layer but the output layer. */
    record AllLinear() implements TargetModules {
        @Override
        public boolean matches(String modulePath, boolean outputLayer) {
            return !outputLayer;
        }
    }

    /** {@code ["all"]} or {@code ["all-linear"]} → {@link AllLinear}; otherwise {@link Names}. */
    static TargetModules of(List<String> names) {
        if (names.size() == 1) {
            String n = names.get(0).trim().toLowerCase(Locale.ROOT);
            if (n.equals("all") || n.equals("all-linear")) {
                return new AllLinear();
            }
        }
        return new Names(names.stream().map(String::trim).toList());
    }

    /** {@link #of(List)} of the given names. */
    static TargetModules of(String... names) {
        return of(List.of(names));
    }
}
