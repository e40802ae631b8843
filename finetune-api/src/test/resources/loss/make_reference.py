# Reference values for dev.finetune4j.train.loss, by torch autograd in float64, written the way
# LLaMA-Factory (src/llamafactory/train/{dpo,kto,rm}/trainer.py) and TRL (dpo_loss, kto_loss) compute them:
# policy log-prob sums are leaf tensors, averages are sums / counts inside the graph, so the gradients are
# d loss / d sum. Run from the repository root:
#   /usr/bin/python3 finetune-api/src/test/resources/loss/make_reference.py > finetune-api/src/test/resources/loss/reference.json
import json
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def t(v):
    return torch.tensor(v, dtype=torch.float64)


def pairwise(loss_type, beta, sums, counts, ref=None, ftx=0.0, label_smoothing=0.0, simpo_gamma=0.5):
    sums_t = t(sums).requires_grad_(True)
    counts_t = t(counts)
    n = len(sums) // 2
    avg_types = ("ipo", "orpo", "simpo")
    logps = sums_t / counts_t if loss_type in avg_types else sums_t
    pc, pr = logps[:n], logps[n:]
    chosen_avg = pc if loss_type in avg_types else pc / counts_t[:n]
    if ref is not None:
        ref_t = t(ref)
        ref_logps = ref_t / counts_t if loss_type in avg_types else ref_t
        rc, rr = ref_logps[:n], ref_logps[n:]
    if loss_type in ("sigmoid", "hinge", "ipo"):
        logits = (pc - pr) - (rc - rr)
        if loss_type == "sigmoid":
            losses = (-F.logsigmoid(beta * logits) * (1 - label_smoothing)
                      - F.logsigmoid(-beta * logits) * label_smoothing)
        elif loss_type == "hinge":
            losses = torch.relu(1 - beta * logits)
        else:
            losses = (logits - 1 / (2 * beta)) ** 2
        chosen_rewards = beta * (pc - rc).detach()
        rejected_rewards = beta * (pr - rr).detach()
    elif loss_type == "orpo":
        log_odds = (pc - pr) - (torch.log1p(-torch.exp(pc)) - torch.log1p(-torch.exp(pr)))
        sft = -pc
        odds = -F.logsigmoid(log_odds)
        losses = sft + beta * odds
        chosen_rewards = beta * pc.detach()
        rejected_rewards = beta * pr.detach()
    elif loss_type == "simpo":
        logits = (pc - pr) - simpo_gamma / beta
        losses = -F.logsigmoid(beta * logits)
        chosen_rewards = beta * pc.detach()
        rejected_rewards = beta * pr.detach()
    else:
        raise ValueError(loss_type)
    sft_loss = -chosen_avg
    if ftx > 0:
        losses = losses + ftx * sft_loss
    loss = losses.mean()
    loss.backward()
    metrics = {
        "rewards/chosen": chosen_rewards.mean().item(),
        "rewards/rejected": rejected_rewards.mean().item(),
        "rewards/accuracies": (chosen_rewards > rejected_rewards).double().mean().item(),
        "rewards/margins": (chosen_rewards - rejected_rewards).mean().item(),
        "logps/chosen": pc.detach().mean().item(),
        "logps/rejected": pr.detach().mean().item(),
    }
    if loss_type == "orpo":
        metrics["sft_loss"] = sft.detach().mean().item()
        metrics["odds_ratio_loss"] = odds.detach().mean().item()
    return {"loss": loss.item(), "gradient": sums_t.grad.tolist(), "metrics": metrics}


def kto(beta, sums, counts, desirable, ref, policy_kl, ref_kl, chosen_weight=1.0, rejected_weight=1.0, ftx=0.0):
    sums_t = t(sums).requires_grad_(True)
    counts_t = t(counts)
    tags = torch.tensor(desirable)
    ref_t = t(ref)
    kl = (t(policy_kl) - t(ref_kl)).mean().detach().clamp(min=0)
    pc, pr = sums_t[tags], sums_t[~tags]
    rc, rr = ref_t[tags], ref_t[~tags]
    chosen_losses = 1 - torch.sigmoid(beta * ((pc - rc) - kl))
    rejected_losses = 1 - torch.sigmoid(beta * (kl - (pr - rr)))
    losses = torch.cat((chosen_weight * chosen_losses, rejected_weight * rejected_losses), 0).nanmean()
    if ftx > 1e-6 and len(pc) > 0:
        chosen_avg = (sums_t / counts_t)[tags]
        losses = losses + ftx * (-chosen_avg).nanmean() / len(pc) * len(sums)
    losses.backward()
    chosen_rewards = beta * (pc - rc).detach()
    rejected_rewards = beta * (pr - rr).detach()
    metrics = {"kl": kl.item()}
    if len(pc) > 0:
        metrics["rewards/chosen"] = chosen_rewards.sum().item() / len(pc)
        metrics["logps/chosen"] = pc.detach().sum().item() / len(pc)
    if len(pr) > 0:
        metrics["rewards/rejected"] = rejected_rewards.sum().item() / len(pr)
        metrics["logps/rejected"] = pr.detach().sum().item() / len(pr)
    if len(pc) > 0 and len(pr) > 0:
        metrics["rewards/margins"] = metrics["rewards/chosen"] - metrics["rewards/rejected"]
    return {"loss": losses.item(), "gradient": sums_t.grad.tolist(), "metrics": metrics}


def rm(chosen, rejected):
    c = t(chosen).requires_grad_(True)
    r = t(rejected).requires_grad_(True)
    loss = -F.logsigmoid(c - r).mean()
    loss.backward()
    return {"loss": loss.item(), "gradient": c.grad.tolist() + r.grad.tolist(),
            "metrics": {"accuracy": (c > r).double().mean().item()}}


# three pairs: rows [c0, c1, c2, r0, r1, r2]; sums of label log-probs, label-token counts, reference sums
SUMS = [-12.5, -40.25, -7.0, -15.0, -38.0, -9.5]
COUNTS = [10, 32, 5, 12, 30, 4]
REF = [-13.0, -39.0, -8.25, -14.0, -39.5, -9.0]
# confident answers for ORPO (average log-probs close to 0 on some rows)
SUMS_ORPO = [-0.5, -30.0, -0.001, -2.0, -3.0, -0.002]

cases = []


def add(name, kind, params, inputs, out):
    cases.append({"name": name, "kind": kind, "params": params, "inputs": inputs, **out})


def add_pair(name, loss_type, beta, sums=SUMS, counts=COUNTS, ref=REF, **kw):
    params = {"pref_loss": loss_type, "pref_beta": beta, "pref_ftx": kw.get("ftx", 0.0),
              "dpo_label_smoothing": kw.get("label_smoothing", 0.0), "simpo_gamma": kw.get("simpo_gamma", 0.5)}
    use_ref = loss_type in ("sigmoid", "hinge", "ipo")
    inputs = {"sums": sums, "counts": counts, "reference": ref if use_ref else None}
    add(name, "pairwise", params, inputs, pairwise(loss_type, beta, sums, counts, ref if use_ref else None, **kw))


add_pair("sigmoid beta 0.1", "sigmoid", 0.1)
add_pair("sigmoid beta 0.5 smoothing 0.2", "sigmoid", 0.5, label_smoothing=0.2)
add_pair("sigmoid beta 0.1 ftx 0.3", "sigmoid", 0.1, ftx=0.3)
add_pair("sigmoid beta 1 very negative", "sigmoid", 1.0, sums=[-2500.0, -1e4, -900.0, -100.0, -1e4, -3000.0],
         counts=[400, 1000, 120, 50, 1000, 500], ref=[-2400.0, -1e4, -950.0, -110.0, -9e3, -2900.0])
add_pair("hinge beta 0.1", "hinge", 0.1)
add_pair("hinge beta 2 mixed", "hinge", 2.0)
add_pair("hinge beta 0.5 ftx 1", "hinge", 0.5, ftx=1.0)
add_pair("ipo beta 0.1", "ipo", 0.1)
add_pair("ipo beta 0.5 ftx 0.2", "ipo", 0.5, ftx=0.2)
add_pair("orpo beta 0.1", "orpo", 0.1)
add_pair("orpo beta 0.25 confident", "orpo", 0.25, sums=SUMS_ORPO)
add_pair("orpo beta 0.1 ftx 0.5", "orpo", 0.1, ftx=0.5)
add_pair("simpo beta 2 gamma 0.5", "simpo", 2.0)
add_pair("simpo beta 2.5 gamma 0", "simpo", 2.5, simpo_gamma=0.0)
add_pair("simpo beta 0.1 gamma 1.4 ftx 0.3", "simpo", 0.1, simpo_gamma=1.4, ftx=0.3)

K_SUMS = [-12.5, -40.25, -7.0, -15.0, -38.0]
K_COUNTS = [10, 32, 5, 12, 30]
K_REF = [-13.0, -39.0, -8.25, -14.0, -39.5]
K_TAGS = [True, False, True, True, False]


def add_kto(name, beta, desirable=K_TAGS, policy_kl=(-20.0, -31.0, -9.0, -16.0, -44.0),
            ref_kl=(-21.0, -30.0, -9.5, -17.5, -45.0), **kw):
    params = {"pref_beta": beta, "kto_chosen_weight": kw.get("chosen_weight", 1.0),
              "kto_rejected_weight": kw.get("rejected_weight", 1.0), "pref_ftx": kw.get("ftx", 0.0)}
    inputs = {"sums": K_SUMS, "counts": K_COUNTS, "desirable": desirable, "reference": K_REF,
              "policy_kl": list(policy_kl), "reference_kl": list(ref_kl)}
    add(name, "kto", params, inputs, kto(beta, K_SUMS, K_COUNTS, desirable, K_REF, list(policy_kl), list(ref_kl), **kw))


add_kto("kto beta 0.1", 0.1)
add_kto("kto beta 0.5 weights 1.33/1", 0.5, chosen_weight=1.33, rejected_weight=1.0)
add_kto("kto beta 0.1 negative kl clamps to 0", 0.1, policy_kl=(-25.0, -31.0, -9.0, -18.0, -44.0))
add_kto("kto beta 0.2 ftx 0.4", 0.2, ftx=0.4)
add_kto("kto all undesirable ftx 0.4", 0.2, desirable=[False] * 5, ftx=0.4)
add_kto("kto all desirable", 0.3, desirable=[True] * 5)

for name, c, r in [("rm scores", [1.5, -0.25, 3.0, 0.0], [0.5, 0.75, -2.0, 0.0]),
                   ("rm large margins", [40.0, -35.0], [-40.0, 35.0])]:
    add(name, "rm", {}, {"chosen": c, "rejected": r}, rm(c, r))

print(json.dumps({"torch": torch.__version__, "cases": cases}, indent=1))
