package dev.finetune4j.train.loss;

import dev.finetune4j.config.PreferenceLoss;
import dev.finetune4j.config.PreferenceSettings;
import java.util.Objects;

/** Builds the built-in preference losses from the configuration ({@code pref_loss:} and its parameters). */
public final class PreferenceLosses {
    private PreferenceLosses() {
    }

    /** The DPO-family loss of stage {@code dpo} chosen by {@code pref_loss}, with the configured parameters. */
    public static PairwisePreferenceLoss pairwise(PreferenceSettings settings) {
        return pairwise(settings.prefLoss(), settings.prefBeta(), settings.prefFtx(), settings.dpoLabelSmoothing(),
                settings.simpoGamma());
    }

    /**
     * A DPO-family loss.
     *
     * @param labelSmoothing {@code dpo_label_smoothing}; must be 0 unless {@code kind} is SIGMOID
     * @param simpoGamma     {@code simpo_gamma}; read only by SIMPO
     */
    public static PairwisePreferenceLoss pairwise(PreferenceLoss kind, double beta, double ftx, double labelSmoothing,
                                                  double simpoGamma) {
        Objects.requireNonNull(kind, "kind");
        if (kind != PreferenceLoss.SIGMOID && labelSmoothing != 0) {
            throw new IllegalArgumentException("dpo_label_smoothing only applies to pref_loss: sigmoid, got "
                    + labelSmoothing + " with pref_loss: " + kind.yamlName());
        }
        PairwisePreferenceLoss loss = switch (kind) {
            case SIGMOID -> new SigmoidLoss(beta, labelSmoothing, ftx);
            case HINGE -> new HingeLoss(beta, ftx);
            case IPO -> new IpoLoss(beta, ftx);
            case ORPO -> new OrpoLoss(beta, ftx);
            case SIMPO -> new SimpoLoss(beta, simpoGamma, ftx);
        };
        assert loss.needsReference() == kind.needsReference();
        return loss;
    }

    /** The loss of stage {@code kto}: {@code pref_beta}, {@code kto_chosen_weight}, {@code kto_rejected_weight}, {@code pref_ftx}. */
    public static KtoLoss kto(PreferenceSettings settings) {
        return new KtoLoss(settings.prefBeta(), settings.ktoChosenWeight(), settings.ktoRejectedWeight(),
                settings.prefFtx());
    }

    /** The loss of stage {@code rm}. */
    public static RewardModelLoss rewardModel() {
        return new RewardModelLoss();
    }
}
