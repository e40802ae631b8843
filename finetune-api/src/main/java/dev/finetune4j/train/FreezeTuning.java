package dev.finetune4j.train;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.config.MethodSettings;
import dev.finetune4j.nn.AdaptableModel;
import dev.finetune4j.nn.Parameter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code finetuning_type: freeze}: which of the model's own parameters train, with LLaMA-Factory's rules
 * ({@code _setup_freeze_tuning}); everything else is frozen and gets neither gradients nor optimizer state.
 *
 * <ul>
 *   <li>{@code freeze_trainable_layers} n: positive = the last n decoder layers, negative = the first |n|;</li>
 *   <li>{@code freeze_trainable_modules}: {@code all}, or sub-modules of a layer ({@code self_attn}, {@code mlp},
 *       {@code input_layernorm}, {@code post_attention_layernorm}): the parameters whose name contains
 *       {@code .<layer>.} (all) or {@code .<layer>.<module>};</li>
 *   <li>{@code freeze_extra_modules}: modules outside the layers ({@code embed_tokens}, {@code norm},
 *       {@code lm_head}) also train: every parameter whose name <em>contains</em> the module name (LF's substring
 *       rule — so {@code norm} also unfreezes every layer's {@code input_layernorm} and
 *       {@code post_attention_layernorm}, as in LLaMA-Factory).</li>
 * </ul>
 * A module name that the model does not have is an error listing the ones it has.
 */
public final class FreezeTuning {
    private static final Pattern LAYER_INDEX = Pattern.compile("\\.\\d+\\.");

    private FreezeTuning() {
    }

    /**
     * Freezes every parameter of {@code model}, then makes the selected ones trainable.
     *
     * @param numLayers the number of decoder layers
     * @return the trainable parameters, in model order
     */
    public static List<Parameter> apply(AdaptableModel model, int numLayers, MethodSettings method) {
        Map<String, Parameter> params = model.namedParameters();
        List<String> patterns = trainablePatterns(params.keySet(), numLayers, method.freezeTrainableLayers(),
                method.freezeTrainableModules(), method.freezeExtraModules());
        List<Parameter> out = new ArrayList<>();
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            boolean train = patterns.stream().anyMatch(e.getKey()::contains);
            e.getValue().setTrainable(train);
            if (train) {
                out.add(e.getValue());
            }
        }
        return out;
    }

    /** The substrings that make a parameter trainable (LF's {@code trainable_layers}). */
    static List<String> trainablePatterns(Set<String> names, int numLayers, int trainableLayers,
                                          List<String> modules, List<String> extra) {
        List<Integer> ids = new ArrayList<>();
        if (trainableLayers > 0) {
            for (int i = Math.max(0, numLayers - trainableLayers); i < numLayers; i++) {
                ids.add(i);
            }
        } else {
            for (int i = 0; i < Math.min(-trainableLayers, numLayers); i++) {
                ids.add(i);
            }
        }
        Set<String> hidden = new LinkedHashSet<>();
        Set<String> nonHidden = new LinkedHashSet<>();
        for (String name : names) {
            if (name.contains(".0.")) {
                hidden.add(firstComponent(name.substring(name.lastIndexOf(".0.") + 3)));
            } else if (name.contains(".1.")) {
                hidden.add(firstComponent(name.substring(name.lastIndexOf(".1.") + 3)));
            }
            if (!LAYER_INDEX.matcher(name).find()) {
                String[] parts = name.split("\\.");
                if (parts.length >= 2) {
                    nonHidden.add(parts[parts.length - 2]);
                }
            }
        }
        List<String> out = new ArrayList<>();
        for (String module : modules) {
            if (!module.equals("all") && !hidden.contains(module)) {
                throw new FineTuneException("freeze_trainable_modules: the model has no module '" + module
                        + "' in its layers; choose from " + String.join(", ", hidden) + " (or all)");
            }
            for (int id : ids) {
                out.add("." + id + "." + (module.equals("all") ? "" : module));
            }
        }
        for (String module : extra) {
            if (!nonHidden.contains(module)) {
                throw new FineTuneException("freeze_extra_modules: the model has no module '" + module
                        + "' outside its layers; choose from " + String.join(", ", nonHidden));
            }
            out.add(module);
        }
        return out;
    }

    private static String firstComponent(String s) {
        int dot = s.indexOf('.');
        return dot < 0 ? s : s.substring(0, dot);
    }
}
