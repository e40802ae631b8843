"""torch.optim.AdamW + clip_grad_norm_ + a LambdaLR with HF's linear-with-warmup formula, in float64.

Writes adamw_reference.json (next to this script), read by AdamWTest. Run from the repository root:
    /usr/bin/python3 finetune-api/src/test/resources/optim/adamw_reference.py
(torch 1.13.1 CPU; the output is committed.)
"""
import json
import os

import torch

torch.manual_seed(0)
g = torch.Generator().manual_seed(1234)
dt = torch.float64
shapes = {"w1": (3, 4), "b1": (5,), "w2": (2, 3)}
params = {n: torch.randn(s, generator=g, dtype=dt).requires_grad_(True) for n, s in shapes.items()}
init = {n: p.detach().clone().reshape(-1).tolist() for n, p in params.items()}

base_lr, total, warmup, max_norm = 0.05, 6, 2, 1.0
groups = [{"params": [params["w1"], params["w2"]], "lr": base_lr, "weight_decay": 0.1},
          {"params": [params["b1"]], "lr": base_lr * 2.0, "weight_decay": 0.0}]
opt = torch.optim.AdamW(groups, lr=base_lr, betas=(0.9, 0.999), eps=1e-8)


def linear_with_warmup(k):  # transformers.get_linear_schedule_with_warmup
    if k < warmup:
        return float(k) / float(max(1, warmup))
    return max(0.0, float(total - k) / float(max(1, total - warmup)))


sched = torch.optim.lr_scheduler.LambdaLR(opt, linear_with_warmup)
scales = [0.1, 3.0, 0.2, 2.0, 0.05, 1.0]
steps = []
for k in range(total):
    grads = {n: torch.randn(p.shape, generator=g, dtype=dt) * scales[k] for n, p in params.items()}
    for n, p in params.items():
        p.grad = grads[n].clone()
    lr_used = opt.param_groups[0]["lr"]
    norm = float(torch.nn.utils.clip_grad_norm_(list(params.values()), max_norm))
    opt.step()
    sched.step()
    steps.append({"lr": lr_used, "grads": {n: v.reshape(-1).tolist() for n, v in grads.items()},
                  "grad_norm": norm,
                  "params_after": {n: p.detach().reshape(-1).tolist() for n, p in params.items()}})

state = {}
for n, p in params.items():
    s = opt.state[p]
    state[n] = {"step": int(s["step"]), "exp_avg": s["exp_avg"].reshape(-1).tolist(),
                "exp_avg_sq": s["exp_avg_sq"].reshape(-1).tolist()}
out = {"torch": torch.__version__, "shapes": shapes, "base_lr": base_lr, "total_steps": total, "warmup_steps": warmup,
       "max_norm": max_norm, "groups": [{"params": ["w1", "w2"], "lr_scale": 1.0, "weight_decay": 0.1},
                                        {"params": ["b1"], "lr_scale": 2.0, "weight_decay": 0.0}],
       "init": init, "steps": steps, "state": state}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "adamw_reference.json"), "w") as f:
    json.dump(out, f, indent=1)
print("wrote adamw_reference.json")
