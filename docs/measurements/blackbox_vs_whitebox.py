"""Black-box vs white-box, same budget and the same initial student (issue 16 item 1): the first
measurement's 1.4 dB gap came from the student's random init (building the white-box teacher draws from
torch's RNG before the student is built; the graph teacher does not)."""

import json
import sys
import time

import torch

from stylelite.distill.distiller import distill, holdout_fidelity
from stylelite.distill.training_state import save_weights
from stylelite.models.registry import create_student

torch.set_num_threads(1)
torch.manual_seed(0)
save_weights(
    "init_mobilegen_s_050.safetensors", create_student("mobilegen_s_050"), metadata={"model": "mobilegen_s_050"}
)
which = sys.argv[1]
kw = {
    "white": dict(teacher="cyclegan_r9_bn.cartoon", w_feature=0.0),
    "black": dict(teacher="teacher_plain.onnx", w_feature=0.0),
}[which]
t0 = time.time()
run = distill(
    out=f"runs_{which}",
    student="mobilegen_s_050",
    steps=600,
    threads=1,
    progress=False,
    init_from="init_mobilegen_s_050.safetensors",
    **kw,
)
res = {
    "holdout_psnr_db": round(holdout_fidelity(run), 2),
    "minutes": round((time.time() - t0) / 60, 1),
    "run": str(run),
}
print(which, res, flush=True)
json.dump(res, open(f"result_{which}.json", "w"))
