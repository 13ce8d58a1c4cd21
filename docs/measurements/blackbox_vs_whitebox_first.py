"""Black-box vs white-box distillation of the built-in teacher, same budget (issue 16 item 1)."""

import json
import time

import torch

from stylelite.distill.distiller import distill, holdout_fidelity
from stylelite.models.load import load_model

torch.set_num_threads(1)
teacher = load_model("cyclegan_r9_bn.cartoon").model.eval()
x = torch.rand(1, 3, 64, 64) * 2 - 1
torch.onnx.export(
    teacher,
    (x,),
    "teacher_plain.onnx",
    input_names=["x"],
    output_names=["y"],
    dynamic_axes={"x": {0: "n", 2: "h", 3: "w"}, "y": {0: "n", 2: "h", 3: "w"}},
    dynamo=False,
)
budget = dict(student="mobilegen_s_050", steps=600, threads=1, progress=False)
out = {}
for name, kw in (
    ("white-box (checkpoint, pixel+feature)", dict(teacher="cyclegan_r9_bn.cartoon")),
    ("white-box (checkpoint, pixel only)", dict(teacher="cyclegan_r9_bn.cartoon", w_feature=0.0)),
    ("black-box (plain torch.onnx export)", dict(teacher="teacher_plain.onnx", w_feature=0.0)),
):
    t0 = time.time()
    run = distill(out="runs", **kw, **budget)
    out[name] = {
        "holdout_psnr_db": round(holdout_fidelity(run), 2),
        "minutes": round((time.time() - t0) / 60, 1),
        "run": str(run),
    }
    print(name, out[name], flush=True)
json.dump(out, open("result.json", "w"), indent=1)
