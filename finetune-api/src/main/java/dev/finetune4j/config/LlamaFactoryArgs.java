package dev.finetune4j.config;

import dev.finetune4j.FineTuneException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads LLaMA-Factory training arguments (the keys of its YAML files, FORMATS.md §H) into a
 * {@link FineTuneConfig.Builder}, so that a user's YAML runs unchanged.
 *
 * <p>Every key is one of: supported (mapped to a setting); accepted without effect (GPU, distributed or
 * logging plumbing that has no meaning here, e.g. {@code bf16}, {@code ddp_timeout}, {@code report_to: none});
 * a known LLaMA-Factory or HuggingFace option that finetune4j does not support yet (an error saying so, unless
 * its value is the default, which changes nothing); or unknown (an error naming the closest known key).
 * Values are coerced as HuggingFace's argument parser does: {@code 1e-4} written as a string is a number,
 * comma-separated strings are lists.
 */
public final class LlamaFactoryArgs {
    private static final Logger LOG = LoggerFactory.getLogger(LlamaFactoryArgs.class);

    private LlamaFactoryArgs() {
    }

    private interface Setter extends BiConsumer<FineTuneConfig.Builder, Value> {
    }

    /** A YAML value with the key and file it came from, for coercion errors. */
    private record Value(String source, String key, Object raw) {
        String string() {
            return raw == null ? null : String.valueOf(raw).trim();
        }

        Path path() {
            String s = string();
            return s == null || s.isEmpty() || s.equalsIgnoreCase("null") ? null : Path.of(s);
        }

        boolean bool() {
            if (raw instanceof Boolean b) {
                return b;
            }
            String s = string() == null ? "" : string().toLowerCase(Locale.ROOT);
            return switch (s) {
                case "true", "yes", "1", "on" -> true;
                case "false", "no", "0", "off" -> false;
                default -> throw error("must be true or false, got '" + raw + "'");
            };
        }

        Boolean nullableBool() {
            return raw == null || "null".equalsIgnoreCase(string()) || "none".equalsIgnoreCase(string()) ? null : bool();
        }

        double dbl() {
            if (raw instanceof Number n) {
                return n.doubleValue();
            }
            try {
                return Double.parseDouble(string());
            } catch (NumberFormatException | NullPointerException e) {
                throw error("must be a number, got '" + raw + "'");
            }
        }

        int integer() {
            double d = dbl();
            if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
                throw error("must be a whole number, got '" + raw + "'");
            }
            return (int) d;
        }

        Integer nullableInt() {
            return raw == null || "null".equalsIgnoreCase(string()) ? null : integer();
        }

        Double nullableDouble() {
            return raw == null || "null".equalsIgnoreCase(string()) ? null : dbl();
        }

        List<String> list() {
            if (raw == null) {
                return List.of();
            }
            if (raw instanceof Collection<?> c) {
                return c.stream().map(o -> String.valueOf(o).trim()).filter(s -> !s.isEmpty()).toList();
            }
            return Arrays.stream(string().split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        }

        FineTuneException error(String what) {
            return new FineTuneException(source + ": " + key + " " + what);
        }
    }

    private static final Map<String, Setter> SUPPORTED = new LinkedHashMap<>();

    private static void put(String key, Setter s) {
        SUPPORTED.put(key, s);
    }

    static {
        // model
        put("model_name_or_path", (b, v) -> b.modelNameOrPath(v.path()));
        put("adapter_name_or_path", (b, v) -> {
            List<String> adapters = v.list();
            if (adapters.size() > 1) {
                throw v.error("lists " + adapters.size() + " adapters; finetune4j continues one adapter at a time");
            }
            b.adapterNameOrPath(adapters.isEmpty() ? null : Path.of(adapters.get(0)));
        });
        put("device", (b, v) -> b.device(v.string()));
        put("quantization_bit", (b, v) -> b.quantizationBit(v.nullableInt() == null ? 0 : v.integer()));
        put("quantization_type", (b, v) -> b.quantizationType(v.string()));
        put("double_quantization", (b, v) -> b.doubleQuantization(v.bool()));
        put("quantization_method", (b, v) -> {
            if (!"bnb".equalsIgnoreCase(v.string())) {
                throw v.error("'" + v.raw() + "' is not supported yet; finetune4j quantizes on the fly like bnb "
                        + "(quantization_method: bnb)");
            }
        });
        put("disable_gradient_checkpointing", (b, v) -> b.activationCheckpointing(!v.bool()));
        // data
        put("dataset", (b, v) -> b.datasets(v.list()));
        put("eval_dataset", (b, v) -> b.evalDatasets(v.list()));
        put("dataset_dir", (b, v) -> b.datasetDir(v.path()));
        put("template", (b, v) -> b.template(v.string()));
        put("cutoff_len", (b, v) -> b.cutoffLen(v.integer()));
        put("max_samples", (b, v) -> b.maxSamples(v.nullableInt()));
        put("train_on_prompt", (b, v) -> b.trainOnPrompt(v.bool()));
        put("mask_history", (b, v) -> b.maskHistory(v.bool()));
        put("packing", (b, v) -> b.packing(v.nullableBool()));
        put("neat_packing", (b, v) -> b.neatPacking(v.bool()));
        put("val_size", (b, v) -> b.valSize(v.dbl()));
        put("enable_thinking", (b, v) -> b.enableThinking(v.nullableBool()));
        put("default_system", (b, v) -> b.defaultSystem(v.string()));
        put("tokenized_path", (b, v) -> b.tokenizedPath(v.path()));
        // method
        put("stage", (b, v) -> b.stage(Stage.parse(v.string())));
        put("finetuning_type", (b, v) -> b.finetuningType(FinetuningType.parse(v.string())));
        put("lora_rank", (b, v) -> b.loraRank(v.integer()));
        put("lora_alpha", (b, v) -> b.loraAlpha(v.nullableInt()));
        put("lora_dropout", (b, v) -> b.loraDropout(v.dbl()));
        put("lora_target", (b, v) -> b.loraTarget(v.list()));
        put("use_rslora", (b, v) -> b.useRslora(v.bool()));
        put("use_dora", (b, v) -> b.useDora(v.bool()));
        put("pissa_init", (b, v) -> b.pissaInit(v.bool()));
        put("pissa_iter", (b, v) -> b.pissaIter(v.integer()));
        put("pissa_convert", (b, v) -> b.pissaConvert(v.bool()));
        put("loraplus_lr_ratio", (b, v) -> b.loraplusLrRatio(v.nullableDouble()));
        put("loraplus_lr_embedding", (b, v) -> b.loraplusLrEmbedding(v.dbl()));
        put("additional_target", (b, v) -> b.additionalTarget(v.list()));
        put("freeze_trainable_layers", (b, v) -> b.freezeTrainableLayers(v.integer()));
        put("freeze_trainable_modules", (b, v) -> b.freezeTrainableModules(v.list()));
        put("freeze_extra_modules", (b, v) -> b.freezeExtraModules(v.list()));
        // training
        put("output_dir", (b, v) -> b.outputDir(v.path()));
        put("overwrite_output_dir", (b, v) -> b.overwriteOutputDir(v.bool()));
        put("per_device_train_batch_size", (b, v) -> b.perDeviceTrainBatchSize(v.integer()));
        put("per_device_eval_batch_size", (b, v) -> b.perDeviceEvalBatchSize(v.integer()));
        put("gradient_accumulation_steps", (b, v) -> b.gradientAccumulationSteps(v.integer()));
        put("learning_rate", (b, v) -> b.learningRate(v.dbl()));
        put("num_train_epochs", (b, v) -> b.numTrainEpochs(v.dbl()));
        put("max_steps", (b, v) -> b.maxSteps(v.integer()));
        put("lr_scheduler_type", (b, v) -> b.lrSchedulerType(SchedulerType.parse(v.string())));
        put("warmup_ratio", (b, v) -> b.warmupRatio(v.dbl()));
        put("warmup_steps", (b, v) -> {
            double w = v.dbl();
            if (w > 0 && w < 1) {
                b.warmupRatio(w); // newer HF: a float in (0, 1) is a ratio
            } else {
                b.warmupSteps(v.integer());
            }
        });
        put("weight_decay", (b, v) -> b.weightDecay(v.dbl()));
        put("adam_beta1", (b, v) -> b.adamBeta1(v.dbl()));
        put("adam_beta2", (b, v) -> b.adamBeta2(v.dbl()));
        put("adam_epsilon", (b, v) -> b.adamEpsilon(v.dbl()));
        put("max_grad_norm", (b, v) -> b.maxGradNorm(v.dbl()));
        put("seed", (b, v) -> b.seed(v.integer()));
        put("disable_shuffling", (b, v) -> b.disableShuffling(v.bool()));
        put("logging_steps", (b, v) -> b.loggingSteps(v.integer()));
        put("save_steps", (b, v) -> b.saveSteps(v.integer()));
        put("save_total_limit", (b, v) -> b.saveTotalLimit(v.nullableInt()));
        put("save_only_model", (b, v) -> b.saveOnlyModel(v.bool()));
        put("eval_strategy", (b, v) -> b.evalStrategy(v.string()));
        put("evaluation_strategy", (b, v) -> b.evalStrategy(v.string()));
        put("eval_steps", (b, v) -> b.evalSteps(v.integer()));
        put("resume_from_checkpoint", (b, v) -> b.resumeFromCheckpoint(v.path()));
        put("plot_loss", (b, v) -> b.plotLoss(v.bool()));
        put("optim", (b, v) -> {
            String o = v.string().toLowerCase(Locale.ROOT);
            if (!o.equals("adamw_torch") && !o.equals("adamw_torch_fused") && !o.equals("adamw_hf")) {
                throw v.error("'" + v.raw() + "' is not supported yet; finetune4j trains with AdamW "
                        + "(optim: adamw_torch)");
            }
        });
        put("do_train", (b, v) -> {
            if (!v.bool()) {
                throw v.error("is false: finetune train only trains (use ppl, chat or export for the rest)");
            }
        });
        put("report_to", (b, v) -> {
            List<String> to = v.list();
            if (!to.isEmpty() && !(to.size() == 1 && to.get(0).equalsIgnoreCase("none"))) {
                LOG.warn("report_to {} is ignored: finetune4j writes trainer_log.jsonl and training_loss.png", to);
            }
        });
        // preference stages
        put("pref_beta", (b, v) -> b.prefBeta(v.dbl()));
        put("pref_ftx", (b, v) -> b.prefFtx(v.dbl()));
        put("pref_loss", (b, v) -> b.prefLoss(PreferenceLoss.parse(v.string())));
        put("dpo_label_smoothing", (b, v) -> b.dpoLabelSmoothing(v.dbl()));
        put("simpo_gamma", (b, v) -> b.simpoGamma(v.dbl()));
        put("kto_chosen_weight", (b, v) -> b.ktoChosenWeight(v.dbl()));
        put("kto_rejected_weight", (b, v) -> b.ktoRejectedWeight(v.dbl()));
        put("ref_model", (b, v) -> b.refModel(v.path()));
        put("reward_model", (b, v) -> b.rewardModel(v.path()));
        put("ppo_buffer_size", (b, v) -> b.ppoBufferSize(v.integer()));
        put("ppo_epochs", (b, v) -> b.ppoEpochs(v.integer()));
        put("ppo_score_norm", (b, v) -> b.ppoScoreNorm(v.bool()));
        put("ppo_target", (b, v) -> b.ppoTarget(v.dbl()));
        put("ppo_whiten_rewards", (b, v) -> b.ppoWhitenRewards(v.bool()));
        // generation (stage ppo's rollouts)
        put("do_sample", (b, v) -> b.doSample(v.bool()));
        put("temperature", (b, v) -> b.temperature(v.dbl()));
        put("top_p", (b, v) -> b.topP(v.dbl()));
        put("top_k", (b, v) -> b.topK(v.integer()));
        put("max_new_tokens", (b, v) -> b.maxNewTokens(v.integer()));
        put("repetition_penalty", (b, v) -> b.repetitionPenalty(v.dbl()));
    }

    /** Keys that have no meaning on this engine and are accepted without effect. */
    private static final Set<String> NO_EFFECT = Set.of(
            "trust_remote_code", "overwrite_cache", "preprocessing_num_workers", "preprocessing_batch_size",
            "dataloader_num_workers", "dataloader_pin_memory", "dataloader_persistent_workers",
            "dataloader_prefetch_factor", "ddp_timeout", "ddp_backend", "ddp_find_unused_parameters", "bf16", "fp16",
            "pure_bf16", "tf32", "bf16_full_eval", "fp16_full_eval", "flash_attn", "use_fast_tokenizer", "run_name",
            "logging_dir", "logging_first_step", "logging_strategy", "save_strategy", "save_safetensors",
            "include_num_input_tokens_seen", "include_tokens_per_second", "include_effective_tokens_per_second",
            "remove_unused_columns", "print_param_status", "upcast_layernorm", "upcast_lmhead_output",
            "low_cpu_mem_usage", "use_cache", "disable_tqdm", "log_level", "log_level_replica", "local_rank",
            "hf_hub_token", "ms_hub_token", "om_hub_token", "cache_dir", "model_revision", "compute_dtype",
            "device_map", "data_shared_file_system", "skip_memory_metrics", "torch_empty_cache_steps",
            "ignore_pad_token_for_loss", "split_special_tokens", "use_reentrant_gc", "average_tokens_across_devices");

    /**
     * Known LLaMA-Factory / HuggingFace options finetune4j does not implement yet. Setting one to a value other
     * than its default is an error; the default value (null, false, or the listed one) changes nothing.
     */
    private static final Map<String, Object> UNSUPPORTED_WITH_DEFAULTS = new LinkedHashMap<>();

    static {
        Object f = Boolean.FALSE;
        for (String k : List.of("use_galore", "use_apollo", "use_badam", "use_llama_pro", "use_adam_mini",
                "use_unsloth", "use_unsloth_gc", "enable_liger_kernel", "use_liger_kernel", "shift_attn",
                "streaming", "resize_vocab", "train_from_scratch", "use_mca", "use_muon", "use_dft_loss",
                "use_asft_loss", "use_eaft_loss", "use_swanlab", "do_predict", "do_eval", "predict_with_generate",
                "eval_on_each_dataset", "load_best_model_at_end", "gradient_checkpointing", "torch_compile",
                "auto_find_batch_size", "group_by_length", "push_to_hub", "create_new_adapter", "preserve_thinking",
                "freeze_vision_tower", "freeze_multi_modal_projector", "freeze_language_model", "compute_accuracy",
                "use_kt", "block_diag_attn", "mixture_of_depths")) {
            UNSUPPORTED_WITH_DEFAULTS.put(k, f);
        }
        UNSUPPORTED_WITH_DEFAULTS.put("mix_strategy", "concat");
        UNSUPPORTED_WITH_DEFAULTS.put("finetuning_args", null);
        for (String k : List.of("deepspeed", "fsdp", "fsdp_config", "rope_scaling", "interleave_probs", "tool_format",
                "media_dir", "buffer_size", "ld_alpha", "ref_model_adapters", "ref_model_quantization_bit",
                "reward_model_adapters", "reward_model_quantization_bit", "neftune_noise_alpha", "label_smoothing_factor",
                "lr_scheduler_kwargs", "optim_args", "adapter_folder", "add_tokens", "add_special_tokens",
                "new_special_tokens_config", "export_dir", "export_size", "export_device", "export_quantization_bit",
                "export_legacy_format", "export_hub_model_id", "infer_backend", "offload_folder", "early_stopping_steps",
                "data_seed", "eval_delay", "eval_accumulation_steps", "metric_for_best_model", "hub_model_id",
                "num_beams", "length_penalty", "max_length", "image_max_pixels", "image_min_pixels", "video_max_pixels",
                "video_min_pixels", "video_fps", "video_maxlen", "audio_sampling_rate", "model_max_length")) {
            UNSUPPORTED_WITH_DEFAULTS.put(k, null);
        }
        UNSUPPORTED_WITH_DEFAULTS.put("pref_bco_weight", 0.0);
        UNSUPPORTED_WITH_DEFAULTS.put("module_dropout", 0.0);
        UNSUPPORTED_WITH_DEFAULTS.put("reward_model_type", "lora");
    }

    /** All keys this reader knows (supported, accepted without effect, or known but unsupported). */
    public static Set<String> knownKeys() {
        Set<String> all = new TreeSet<>(SUPPORTED.keySet());
        all.addAll(NO_EFFECT);
        all.addAll(UNSUPPORTED_WITH_DEFAULTS.keySet());
        return all;
    }

    /** The keys that take effect. */
    public static Set<String> supportedKeys() {
        return new TreeSet<>(SUPPORTED.keySet());
    }

    /**
     * Applies YAML keys to {@code builder}.
     *
     * @param source where the values come from, for error messages (a file path, or "command line")
     */
    public static FineTuneConfig.Builder apply(Map<String, ?> values, FineTuneConfig.Builder builder, String source) {
        for (Map.Entry<String, ?> e : values.entrySet()) {
            String key = e.getKey();
            Object raw = e.getValue();
            Setter setter = SUPPORTED.get(key);
            if (setter != null) {
                try {
                    setter.accept(builder, new Value(source, key, raw));
                } catch (FineTuneException ex) {
                    String m = ex.getMessage();
                    throw new FineTuneException(m.startsWith(source + ":") ? m : source + ": " + key + ": " + m, ex);
                } catch (RuntimeException ex) {
                    throw new FineTuneException(source + ": " + key + " has an invalid value '" + raw + "'", ex);
                }
            } else if (NO_EFFECT.contains(key)) {
                LOG.debug("{}: {} has no effect in finetune4j", source, key);
            } else if (UNSUPPORTED_WITH_DEFAULTS.containsKey(key)) {
                if (!isDefault(raw, UNSUPPORTED_WITH_DEFAULTS.get(key))) {
                    throw new FineTuneException(source + ": " + key + " is a LLaMA-Factory option that finetune4j "
                            + "does not support yet (remove it to continue)");
                }
            } else {
                String closest = closestKey(key);
                throw new FineTuneException(source + ": unknown key '" + key + "'"
                        + (closest == null ? "" : " (did you mean '" + closest + "'?)"));
            }
        }
        return builder;
    }

    /**
     * Parses {@code key=value} overrides of the command line into a map (values stay strings; the coercion above
     * turns them into numbers, booleans and lists).
     */
    public static Map<String, Object> parseOverrides(List<String> args) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            if (eq <= 0) {
                throw new FineTuneException("override '" + a + "' must look like key=value, e.g. learning_rate=1e-4");
            }
            String value = a.substring(eq + 1);
            out.put(a.substring(0, eq).trim(), value.equalsIgnoreCase("null") ? null : value);
        }
        return out;
    }

    private static boolean isDefault(Object raw, Object def) {
        if (raw == null) {
            return true;
        }
        String s = String.valueOf(raw).trim();
        if (s.isEmpty() || s.equalsIgnoreCase("null") || s.equalsIgnoreCase("none")) {
            return true;
        }
        if (def == null) {
            return false;
        }
        if (def instanceof Boolean b) {
            return s.equalsIgnoreCase(b.toString());
        }
        if (def instanceof Number n) {
            try {
                return Double.parseDouble(s) == n.doubleValue();
            } catch (NumberFormatException e) {
                return false;
            }
        }
        return s.equalsIgnoreCase(def.toString());
    }

    /** The known key nearest to {@code key} by edit distance, if it is close enough to be a likely typo. */
    static String closestKey(String key) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : knownKeys()) {
            int d = editDistance(key.toLowerCase(Locale.ROOT), k);
            if (d < bestDistance) {
                bestDistance = d;
                best = k;
            }
        }
        return bestDistance <= Math.max(2, key.length() / 3) ? best : null;
    }

    private static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
