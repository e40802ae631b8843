#!/usr/bin/env python3
"""Makes chat_golden.json: reference token ids for the chat-template tests.

The reference is not ours: each conversation is rendered by the model's own chat_template with HuggingFace's
Jinja (@huggingface/jinja) and encoded by transformers.js' tokenizer, through ../shared/tools/jsref/ref.mjs.

usage (from this folder):
    cp -r ../../../../../../shared/tools/jsref /tmp/jsref && (cd /tmp/jsref && npm ci)   # once
    python3 make_golden.py /tmp/jsref ../../../../../../shared     # writes chat_golden.json, encode_golden.json
"""
import json, os, subprocess, sys, tempfile

jsref, shared = sys.argv[1], sys.argv[2]
data = os.path.join(shared, "data")
lf = os.path.join(data, "llamafactory")
TOKENIZERS = {"qwen3": os.path.join(shared, "fixtures/tokenizers/qwen3"),
              "llama3": os.path.join(shared, "fixtures/tokenizers/llama3")}


def conv(system, tools, messages):
    return {"system": system, "tools": tools, "messages": messages}


def hf_messages(c):
    out = [{"role": "system", "content": c["system"]}] if c["system"] else []
    for m in c["messages"]:
        if m["role"] == "function_call":
            call = json.loads(m["content"])
            calls = call if isinstance(call, list) else [call]
            out.append({"role": "assistant", "content": "", "tool_calls": [
                {"type": "function", "function": {"name": x["name"], "arguments": x["arguments"]}} for x in calls]})
        elif m["role"] == "observation":
            out.append({"role": "tool", "content": m["content"]})
        else:
            out.append({"role": m["role"], "content": m["content"]})
    return out


def hf_tools(c):
    if not c["tools"]:
        return None
    tools = json.loads(c["tools"])
    return [t if t.get("type") == "function" else {"type": "function", "function": t} for t in tools] or None


def reference(tok, c, kwargs):
    kw = dict(kwargs)
    tools = hf_tools(c)
    if tools:
        kw["tools"] = tools
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(hf_messages(c), f, ensure_ascii=False)
        path = f.name
    try:
        out = subprocess.run(["node", os.path.join(jsref, "ref.mjs"), TOKENIZERS[tok], "chat", path, "nogen",
                              json.dumps(kw, ensure_ascii=False)], capture_output=True, text=True, check=True)
    finally:
        os.unlink(path)
    return json.loads(out.stdout.strip().splitlines()[-1])


ROLE = {"human": "user", "gpt": "assistant", "function_call": "function_call", "observation": "observation"}
cases = []


def add(case_id, c, kind, kwargs=None):
    cases.append({"id": case_id, "kind": kind, "conversation": c, "kwargs": kwargs or {}})


# customer-service (system prompt + one turn), SiliconFlow format
with open(os.path.join(data, "customer-service.jsonl"), encoding="utf-8") as f:
    for i, line in enumerate(f):
        ms = json.loads(line)["messages"]
        system = ms[0]["content"] if ms[0]["role"] == "system" else ""
        rest = ms[1:] if system else ms
        add(f"customer-service-{i}", conv(system, "", [{"role": m["role"], "content": m["content"]} for m in rest]),
            "system")
# alpaca and identity (single turn, no system)
for name, n in (("alpaca_en_demo", 6), ("identity", 3)):
    for i, r in enumerate(json.load(open(os.path.join(lf, name + ".json"), encoding="utf-8"))[:n]):
        prompt = "\n".join(x for x in (r["instruction"], r.get("input", "")) if x)
        add(f"{name}-{i}", conv("", "", [{"role": "user", "content": prompt},
                                         {"role": "assistant", "content": r["output"]}]), "single")
# glaive tool calls: multi-turn, tools, function calls and observations; also with a system prompt
glaive = json.load(open(os.path.join(lf, "glaive_toolcall_en_demo.json"), encoding="utf-8"))
for i, r in enumerate(glaive[:8]):
    ms = [{"role": ROLE[m["from"]], "content": m["value"]} for m in r["conversations"]]
    tools = r.get("tools", "")
    tools = tools if tools and json.loads(tools) else ""
    add(f"glaive-{i}", conv("", tools, ms), "tools")
    add(f"glaive-{i}-system", conv("You are a helpful assistant.", tools, ms), "tools")
# dpo: prompt + chosen / prompt + rejected
for i, r in enumerate(json.load(open(os.path.join(lf, "dpo_en_demo.json"), encoding="utf-8"))[:4]):
    turns = r["conversations"]
    system = turns[0]["value"] if turns[0]["from"] == "system" else ""
    ms = [{"role": ROLE[m["from"]], "content": m["value"]} for m in turns[1 if system else 0:]]
    add(f"dpo-{i}-chosen", conv(system, "", ms + [{"role": "assistant", "content": r["chosen"]["value"]}]), "single")
    add(f"dpo-{i}-rejected", conv(system, "", ms + [{"role": "assistant", "content": r["rejected"]["value"]}]), "single")
# chain of thought inside answers (the official Qwen3 template strips it from history turns)
add("cot-multi-turn", conv("", "", [
    {"role": "user", "content": "What is 2+2?"},
    {"role": "assistant", "content": "<think>\nAdd two and two.\n</think>\n\n4"},
    {"role": "user", "content": "And 3+3?"},
    {"role": "assistant", "content": "<think>\nAdd three and three.\n</think>\n\n6"}]), "cot")
# qwen3 without thinking
for i in range(3):
    c = cases[i]["conversation"]
    add(f"customer-service-{i}-nothink", c, "system", {"enable_thinking": False})

out = []
for case in cases:
    for tok in ("qwen3", "llama3"):
        if tok == "llama3" and case["kwargs"]:
            continue
        ref = reference(tok, case["conversation"], case["kwargs"])
        out.append(dict(case, tokenizer=tok, text=ref["text"], ids=ref["ids"]))
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "chat_golden.json"), "w", encoding="utf-8") as f:
    json.dump(out, f, ensure_ascii=False)

# plain encoding (no special tokens added), including text longer than the models' usual 512-token truncation
texts = ["Hello world, 你好", "  leading and trailing spaces  \n\n", "emoji 😀 and tabs\tthere",
         "<|im_start|>user\nHi<|im_end|>\n", "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi",
         " ".join(["token"] * 3000)]
enc = []
for tok in ("qwen3", "llama3"):
    for t in texts:
        out_ids = subprocess.run(["node", os.path.join(jsref, "ref.mjs"), TOKENIZERS[tok], "encode", t],
                                 capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
        enc.append({"tokenizer": tok, "text": t, "ids": json.loads(out_ids)})
with open(os.path.join(here, "encode_golden.json"), "w", encoding="utf-8") as f:
    json.dump(enc, f, ensure_ascii=False)
