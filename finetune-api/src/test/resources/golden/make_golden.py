#!/usr/bin/python3
"""Golden logits for the tiny models of dev.finetune4j.model.GoldenModels, made by the PyTorch reference
(../shared/tools/torchref/hfmodel.py) from the model folders the Java TinyModelWriter wrote.

  java -cp CLASSPATH dev.finetune4j.model.GoldenModels /tmp/golden-models
  /usr/bin/python3 finetune-api/src/test/resources/golden/make_golden.py /tmp/golden-models finetune-api/src/test/resources/golden

For each folder NAME: NAME.safetensors (F32 "logits" [2, 16, vocab]) and NAME.json (loss, sha256 of the weight
files, torch version). The Java test rewrites each model with the same seed, checks the weight files are
byte-identical (sha256) and compares its logits and loss.
"""
import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TORCHREF = os.path.normpath(os.path.join(HERE, "../../../../../shared/tools/torchref"))
if not os.path.isdir(TORCHREF):
    TORCHREF = os.environ.get("TORCHREF", "/work/shared/tools/torchref")
sys.path.insert(0, TORCHREF)
import torch  # noqa: E402
import hfmodel as H  # noqa: E402
from safetensors_io import save_file  # noqa: E402


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def main(models_root, out_dir):
    torch.set_num_threads(1)
    for name in sorted(os.listdir(models_root)):
        d = os.path.join(models_root, name)
        inp = os.path.join(d, "golden-input.json")
        if not os.path.isfile(inp):
            continue
        with open(inp) as f:
            spec = json.load(f)
        ids = torch.tensor(spec["tokens"], dtype=torch.long)
        labels = torch.tensor(spec["labels"], dtype=torch.long)
        model = H.load_model(d, dtype=torch.float32)
        with torch.no_grad():
            logits = model(ids)
            loss = H.causal_lm_loss(logits, labels)
        save_file({"logits": logits.contiguous()}, os.path.join(out_dir, name + ".safetensors"),
                  metadata={"format": "pt"}, dtype="F32")
        weights = sorted(f for f in os.listdir(d) if f.endswith(".safetensors"))
        meta = {"tool": "finetune-api/src/test/resources/golden/make_golden.py (torchref hfmodel.py)",
                "torch": torch.__version__, "model_type": model.cfg.model_type,
                "loss": float(loss), "absmax_logit": float(logits.abs().max()),
                "weights_sha256": {w: sha256(os.path.join(d, w)) for w in weights},
                "tokens": spec["tokens"], "labels": spec["labels"]}
        with open(os.path.join(out_dir, name + ".json"), "w") as f:
            json.dump(meta, f, indent=1)
        print(name, "loss", round(float(loss), 6), "absmax", round(float(logits.abs().max()), 3))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
