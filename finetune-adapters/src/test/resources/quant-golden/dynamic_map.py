# Writes dynamic_map.json: bitsandbytes' create_dynamic_map(signed=True) (bitsandbytes/functional.py, 7 exponent
# bits, 8 total bits) as PyTorch computes it, as float32 bit patterns. Run: /usr/bin/python3 dynamic_map.py
# (made with torch 1.13 on x86-64/AVX2; the same steps as bitsandbytes' function, written out here).
import json
import struct

import torch

data = []
for i in range(7):
    items = 2 ** i + 1
    boundaries = torch.linspace(0.1, 1, items, dtype=torch.float32)
    means = (boundaries[:-1] + boundaries[1:]) / 2.0
    data += ((10 ** (-6 + i)) * means).tolist()
    data += (-(10 ** (-6 + i)) * means).tolist()
data.append(0)
data.append(1.0)
data.sort()
code = torch.tensor(data, dtype=torch.float32)
bits = [struct.unpack("<I", struct.pack("<f", float(v)))[0] for v in code]
with open("dynamic_map.json", "w") as f:
    json.dump({"torch": torch.__version__, "float32_bits": bits}, f)
