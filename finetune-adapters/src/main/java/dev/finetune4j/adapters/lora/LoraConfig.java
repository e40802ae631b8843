package dev.finetune4j.adapters.lora;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.config.MethodSettings;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A LoRA configuration with PEFT's meaning ({@code LoraConfig}): {@code y = base(x) + s·B·A·dropout(x)} on every
 * target linear layer, {@code s = alpha / r} ({@code alpha / √r} with rsLoRA).
 *
 * @param rank        r, the inner dimension of B·A (≥ 1)
 * @param alpha       α (> 0)
 * @param dropout     dropout probability on the LoRA input during training, in [0, 1)
 * @param targets     which linear layers are wrapped
 * @param useRslora   scale by α/√r instead of α/r
 * @param init        how new weights start
 * @param rankPattern per-module rank overrides: key = module name or regular expression, matched as PEFT does
 *                    ({@code (.*\.)?(key)$} against the module path; the first matching key wins)
 * @param alphaPattern per-module α overrides, matched the same way
 * @param useDora     DoRA: a trained magnitude per output row ({@link DoraLinear})
 * @param pissaIter   with {@link LoraInit#PISSA}: randomized-SVD subspace iterations, or −1 for the exact SVD
 * @param modulesToSave modules trained whole and saved in the adapter file ({@code modules_to_save}, LF's
 *                    {@code additional_target}): module names matched as PEFT does (the module path equals the name
 *                    or ends with {@code "." + name})
 */
public record LoraConfig(int rank, double alpha, double dropout, TargetModules targets, boolean useRslora,
                         LoraInit init, Map<String, Integer> rankPattern, Map<String, Double> alphaPattern,
                         boolean useDora, int pissaIter, List<String> modulesToSave) {

    public LoraConfig {
        Objects.requireNonNull(targets, "targets");
        Objects.requireNonNull(init, "init");
        modulesToSave = modulesToSave == null ? List.of() : List.copyOf(modulesToSave);
        if (pissaIter < -1) {
            throw new IllegalArgumentException("pissa_iter must be -1 (exact SVD) or a number of iterations, got "
                    + pissaIter);
        }
        if (rank < 1) {
            throw new IllegalArgumentException("LoRA rank must be at least 1, got " + rank);
        }
        if (!(alpha > 0) || Double.isInfinite(alpha)) {
            throw new IllegalArgumentException("LoRA alpha must be positive, got " + alpha);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("LoRA dropout must be in [0, 1), got " + dropout);
        }
        rankPattern = rankPattern == null || rankPattern.isEmpty() ? Map.of() : copyOrdered(rankPattern);
        alphaPattern = alphaPattern == null || alphaPattern.isEmpty() ? Map.of() : copyOrdered(alphaPattern);
        rankPattern.forEach((k, v) -> {
            checkPattern("rank_pattern", k);
            if (v == null || v < 1) {
                throw new IllegalArgumentException("LoRA rank_pattern['" + k + "'] must be at least 1, got " + v);
            }
        });
        alphaPattern.forEach((k, v) -> {
            checkPattern("alpha_pattern", k);
            if (v == null || !(v > 0)) {
                throw new IllegalArgumentException("LoRA alpha_pattern['" + k + "'] must be positive, got " + v);
            }
        });
    }

    /** Plain LoRA (no DoRA, no modules to save; PiSSA iterations 16 if the init is PiSSA). */
    public LoraConfig(int rank, double alpha, double dropout, TargetModules targets, boolean useRslora, LoraInit init,
                      Map<String, Integer> rankPattern, Map<String, Double> alphaPattern) {
        this(rank, alpha, dropout, targets, useRslora, init, rankPattern, alphaPattern, false, 16, List.of());
    }

    /** Rank, alpha, dropout and targets ({@code "all"} or module names); the other settings at PEFT's defaults. */
    public static LoraConfig of(int rank, double alpha, double dropout, List<String> targets) {
        return new LoraConfig(rank, alpha, dropout, TargetModules.of(targets), false, LoraInit.DEFAULT, Map.of(),
                Map.of());
    }

    /** {@link #of(int, double, double, List)} with target names. */
    public static LoraConfig of(int rank, double alpha, double dropout, String... targets) {
        return of(rank, alpha, dropout, List.of(targets));
    }

    /**
     * The LoRA part of LLaMA-Factory's finetuning arguments: rank, alpha, dropout, target, {@code use_rslora},
     * {@code use_dora}, {@code pissa_init}/{@code pissa_iter}, {@code additional_target} (→ modules_to_save).
     */
    public static LoraConfig fromSettings(MethodSettings m) {
        try {
            return new LoraConfig(m.loraRank(), m.loraAlpha(), m.loraDropout(), TargetModules.of(m.loraTarget()),
                    m.useRslora(), m.pissaInit() ? LoraInit.PISSA : LoraInit.DEFAULT, Map.of(), Map.of(),
                    m.useDora(), m.pissaIter(), m.additionalTarget());
        } catch (IllegalArgumentException e) {
            throw new FineTuneException(e.getMessage());
        }
    }

    public LoraConfig withTargets(TargetModules t) {
        return new LoraConfig(rank, alpha, dropout, t, useRslora, init, rankPattern, alphaPattern, useDora, pissaIter, modulesToSave);
    }

    public LoraConfig withRslora(boolean on) {
        return new LoraConfig(rank, alpha, dropout, targets, on, init, rankPattern, alphaPattern, useDora, pissaIter, modulesToSave);
    }

    public LoraConfig withInit(LoraInit i) {
        return new LoraConfig(rank, alpha, dropout, targets, useRslora, i, rankPattern, alphaPattern, useDora, pissaIter, modulesToSave);
    }

    public LoraConfig withDropout(double p) {
        return new LoraConfig(rank, alpha, p, targets, useRslora, init, rankPattern, alphaPattern, useDora, pissaIter, modulesToSave);
    }

    public LoraConfig withPatterns(Map<String, Integer> ranks, Map<String, Double> alphas) {
        return new LoraConfig(rank, alpha, dropout, targets, useRslora, init, ranks, alphas, useDora, pissaIter, modulesToSave);
    }

    public LoraConfig withDora(boolean on) {
        return new LoraConfig(rank, alpha, dropout, targets, useRslora, init, rankPattern, alphaPattern, on, pissaIter,
                modulesToSave);
    }

    /** PiSSA initialisation with {@code iterations} randomized-SVD iterations (−1: exact SVD). */
    public LoraConfig withPissa(int iterations) {
        return new LoraConfig(rank, alpha, dropout, targets, useRslora, LoraInit.PISSA, rankPattern, alphaPattern,
                useDora, iterations, modulesToSave);
    }

    public LoraConfig withModulesToSave(List<String> modules) {
        return new LoraConfig(rank, alpha, dropout, targets, useRslora, init, rankPattern, alphaPattern, useDora,
                pissaIter, modules);
    }

    /** The {@code init_lora_weights} value PEFT writes for this configuration. */
    public Object initLoraWeights() {
        return init.peftValue(pissaIter);
    }

    /** The rank of the module at {@code modulePath} (rank_pattern, else {@link #rank()}). */
    public int rankFor(String modulePath) {
        String key = patternKey(rankPattern.keySet(), modulePath);
        return key == null ? rank : rankPattern.get(key);
    }

    /** The α of the module at {@code modulePath} (alpha_pattern, else {@link #alpha()}). */
    public double alphaFor(String modulePath) {
        String key = patternKey(alphaPattern.keySet(), modulePath);
        return key == null ? alpha : alphaPattern.get(key);
    }

    /** The scale s of the module at {@code modulePath}: α/r, or α/√r with rsLoRA. */
    public double scalingFor(String modulePath) {
        return scaling(alphaFor(modulePath), rankFor(modulePath), useRslora);
    }

    /** α/r, or α/√r with rsLoRA. */
    public static double scaling(double alpha, int rank, boolean rslora) {
        return rslora ? alpha / Math.sqrt(rank) : alpha / rank;
    }

    /** PEFT's {@code get_pattern_key}: the first key with {@code re.match(r"(.*\.)?(key)$", path)}, or null. */
    static String patternKey(Iterable<String> keys, String modulePath) {
        for (String key : keys) {
            if (Pattern.compile("(.*\\.)?(" + key + ")").matcher(modulePath).matches()) {
                return key;
            }
        }
        return null;
    }

    private static void checkPattern(String what, String key) {
        try {
            Pattern.compile(key);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("LoRA " + what + " key '" + key + "' is not a valid regular expression: "
                    + e.getDescription());
        }
    }

    private static <V> Map<String, V> copyOrdered(Map<String, V> m) {
        return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(m));
    }
}
