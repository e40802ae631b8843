# Makes reference.safetensors with torchref's independent writer (torch does the F16/BF16 rounding).
# Run from the repository root:
#   /usr/bin/python3 finetune-api/src/test/resources/checkpoint/make_reference.py ../shared/tools/torchref
import sys, torch
sys.path.insert(0, sys.argv[1])
from safetensors_io import save_file
vals = torch.tensor([0.0, -0.0, 1.0, -2.5, 3.14159265, 1e-3, 65504.0, 1e-8, 0.1, -7.25e4, 1/3, 2**-14], dtype=torch.float64)
save_file({"a.f32": vals.to(torch.float32).reshape(3, 4),
           "b.f16": vals.to(torch.float16),
           "c.bf16": vals.to(torch.bfloat16).reshape(2, 6),
           "d.f64": vals}, sys.argv[2] if len(sys.argv) > 2 else "finetune-api/src/test/resources/checkpoint/reference.safetensors",
          metadata={"format": "pt"})
# print the exact float32 values each dtype decodes to, for the Java test
for name, t in [("f32", vals.to(torch.float32)), ("f16", vals.to(torch.float16)), ("bf16", vals.to(torch.bfloat16))]:
    print(name, [repr(float(x)) for x in t.to(torch.float32)])
