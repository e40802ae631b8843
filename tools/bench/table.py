#!/usr/bin/python3
"""Summarise compare.sh's JSON lines as the README's Markdown table: per (preset, batch, seq, threads), the median
over runs of each engine's tokens/s (batch*seq / median step time) and of its peak RSS, and the ratio of the medians;
one row per OpenBLAS build finetune4j ran on (its "blas" field: the bundled one, or the machine's with
FINETUNE_BLAS=system) against the same PyTorch runs."""
import json
import statistics
import sys

runs = {}
for line in open(sys.argv[1] if len(sys.argv) > 1 else "/tmp/finetune4j-vs-torch.jsonl"):
    line = line.strip()
    if not line.startswith("{"):
        continue
    d = json.loads(line)
    engine = d.get("engine", "torch")
    if engine == "finetune4j":
        # "OpenBLAS 0.3.19 (/…/.javacpp/cache/openblas-0.3.19-…/libopenblas_nolapack.so.0)" -> "OpenBLAS 0.3.19 (bundled)";
        # the one the launcher links for FINETUNE_BLAS=system is cached elsewhere -> "(system)"
        blas = d.get("blas", "unknown")
        where = "bundled" if "/.javacpp/cache/openblas-" in blas else "system"
        engine = (engine, blas.split(" (")[0] + f" ({where})" if blas != "unknown" else blas)
    runs.setdefault((d["preset"], d["batch"], d["seq"], d["threads"]), {}).setdefault(engine, []).append(d)

order = {"micro": 0, "tiny": 1, "small": 2, "qwen05": 3}
print("| preset | batch × seq | threads | finetune4j BLAS | finetune4j tok/s | PyTorch tok/s | ratio | finetune4j peak RSS MB"
      " | PyTorch peak RSS MB | runs |")
print("|---|---|---|---|---:|---:|---:|---:|---:|---|")
for key in sorted(runs, key=lambda k: (order.get(k[0], 9), -k[2], k[1], k[3])):
    preset, batch, seq, threads = key
    e = runs[key]
    if "torch" not in e:
        continue
    t = e["torch"]
    tt = statistics.median(d["tokens_per_s"] for d in t)
    tr = statistics.median(d["peak_rss_mb"] for d in t)
    for engine in sorted(k for k in e if k != "torch"):
        j = e[engine]
        jt = statistics.median(d["tokens_per_s"] for d in j)
        jr = statistics.median(d["peak_rss_mb"] for d in j)
        print(f"| {preset} | {batch} × {seq} | {threads} | {engine[1]} | {jt:,.0f} | {tt:,.0f} | {jt / tt:.2f}"
              f" | {jr:,.0f} | {tr:,.0f} | {len(j)} + {len(t)} |")
