package dev.finetune4j.encoding;

import dev.finetune4j.config.Stage;
import dev.finetune4j.FineTuneException;
import dev.finetune4j.template.TemplateOptions;
import java.util.Objects;

/**
 * How examples become token ids and batches; the keys are LLaMA-Factory's ({@code cutoff_len},
 * {@code train_on_prompt}, {@code mask_history}, {@code packing}, {@code neat_packing},
 * {@code enable_thinking}, {@code preprocessing_batch_size}) with the same defaults. Build with
 * {@link #builder()}.
 *
 * @param stage                  what is trained
 * @param cutoffLen              maximum tokens per example (default 2048)
 * @param trainOnPrompt          put labels on prompt tokens too
 * @param maskHistory            train only the last answer of a multi-turn conversation
 * @param packing                pack several examples into one {@code cutoffLen + 1} row (SFT) or concatenate
 *                               and cut into {@code cutoffLen} blocks (PT); {@code null} = LF default (on for pt only)
 * @param neatPacking            packed examples cannot attend to each other (implies packing)
 * @param templateOptions        thinking and default-system options for the template
 * @param preprocessingBatchSize rows per preprocessing chunk: PT blocks, SFT packing and the KTO KL shift work
 *                               within a chunk, as LF's {@code preprocessing_batch_size} (default 1000)
 * @param padToMultipleOf        pad batches to a multiple of this (1 = to the longest only; 8 is common)
 */
public record EncodingConfig(Stage stage, int cutoffLen, boolean trainOnPrompt, boolean maskHistory,
        Boolean packing, boolean neatPacking, TemplateOptions templateOptions, int preprocessingBatchSize,
        int padToMultipleOf) {

    public EncodingConfig {
        Objects.requireNonNull(stage, "stage");
        Objects.requireNonNull(templateOptions, "templateOptions");
        if (cutoffLen < 1) {
            throw new FineTuneException("cutoff_len must be at least 1, got " + cutoffLen);
        }
        if (preprocessingBatchSize < 1) {
            throw new FineTuneException("preprocessing_batch_size must be at least 1, got " + preprocessingBatchSize);
        }
        if (padToMultipleOf < 1) {
            throw new FineTuneException("pad_to_multiple_of must be at least 1, got " + padToMultipleOf);
        }
        if (neatPacking && Boolean.FALSE.equals(packing)) {
            throw new FineTuneException("neat_packing needs packing: set packing to true or leave it unset");
        }
        if ((Boolean.TRUE.equals(packing) || neatPacking) && stage != Stage.PT && stage != Stage.SFT) {
            throw new FineTuneException("packing is only for stages pt and sft, not " + stage.yamlName());
        }
    }

    /** Whether examples are packed: explicit setting, else on for pt and with neat_packing, off otherwise. */
    public boolean packingEnabled() {
        if (packing != null) {
            return packing;
        }
        return neatPacking || stage == Stage.PT;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.stage = stage;
        b.cutoffLen = cutoffLen;
        b.trainOnPrompt = trainOnPrompt;
        b.maskHistory = maskHistory;
        b.packing = packing;
        b.neatPacking = neatPacking;
        b.templateOptions = templateOptions;
        b.preprocessingBatchSize = preprocessingBatchSize;
        b.padToMultipleOf = padToMultipleOf;
        return b;
    }

    /** Builder with LLaMA-Factory's defaults (stage sft, cutoff_len 2048). */
    public static final class Builder {
        private Stage stage = Stage.SFT;
        private int cutoffLen = 2048;
        private boolean trainOnPrompt;
        private boolean maskHistory;
        private Boolean packing;
        private boolean neatPacking;
        private TemplateOptions templateOptions = TemplateOptions.DEFAULTS;
        private int preprocessingBatchSize = 1000;
        private int padToMultipleOf = 1;

        public Builder stage(Stage v) {
            stage = v;
            return this;
        }

        public Builder cutoffLen(int v) {
            cutoffLen = v;
            return this;
        }

        public Builder trainOnPrompt(boolean v) {
            trainOnPrompt = v;
            return this;
        }

        public Builder maskHistory(boolean v) {
            maskHistory = v;
            return this;
        }

        public Builder packing(Boolean v) {
            packing = v;
            return this;
        }

        public Builder neatPacking(boolean v) {
            neatPacking = v;
            return this;
        }

        public Builder templateOptions(TemplateOptions v) {
            templateOptions = v;
            return this;
        }

        /** LF {@code enable_thinking}: TRUE (default), FALSE, or null (per example). */
        public Builder enableThinking(Boolean v) {
            templateOptions = templateOptions.withEnableThinking(v);
            return this;
        }

        public Builder preprocessingBatchSize(int v) {
            preprocessingBatchSize = v;
            return this;
        }

        public Builder padToMultipleOf(int v) {
            padToMultipleOf = v;
            return this;
        }

        public EncodingConfig build() {
            return new EncodingConfig(stage, cutoffLen, trainOnPrompt, maskHistory, packing, neatPacking,
                    templateOptions, preprocessingBatchSize, padToMultipleOf);
        }
    }
}
