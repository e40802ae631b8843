#!/usr/bin/python3
"""Summarise compare.sh's JSON lines as the README's Markdown table: per (preset, batch, seq, threads), the median
over runs of each engine's tokens/s (batch*seq / median step time) and of its peak RSS, and the ratio of the medians."""
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
    runs.setdefault((d["preset"], d["batch"], d["seq"], d["threads"]), {}).setdefault(engine, []).append(d)

order = {"micro": 0, "tiny": 1, "small": 2, "qwen05": 3}
print("| preset | batch × seq | threads | finetune4j tok/s | PyTorch tok/s | ratio | finetune4j peak RSS MB"
      " | PyTorch peak RSS MB | runs |")
print("|---|---|---|---:|---:|---:|---:|---:|---|")
for key in sorted(runs, key=lambda k: (order.get(k[0], 9), -k[2], k[1], k[3])):
    preset, batch, seq, threads = key
    e = runs[key]
    if "finetune4j" not in e or "torch" not in e:
        continue
    j, t = e["finetune4j"], e["torch"]
    jt = statistics.median(d["tokens_per_s"] for d in j)
    tt = statistics.median(d["tokens_per_s"] for d in t)
    jr = statistics.median(d["peak_rss_mb"] for d in j)
    tr = statistics.median(d["peak_rss_mb"] for d in t)
    print(f"| {preset} | {batch} × {seq} | {threads} | {jt:,.0f} | {tt:,.0f} | {jt / tt:.2f} | {jr:,.0f} | {tr:,.0f}"
          f" | {len(j)} + {len(t)} |")
