"""A style-conditioned black-box teacher into a style-conditioned student (issue 16 item 1), measured on
real clips the runs never saw.

The teacher is an ONNX graph exported with plain `torch.onnx.export`: the shipped cartoon ResNet-9 followed
by one of three finishes chosen (or blended) by a [B, 3] `style` input: `cartoon` (its output), `sepia`
(a sepia colour matrix on it) and `mono` (its luma). Two runs with the same budget (600 steps, pixel L1 +
temporal, the bundled photos and textures: `--data world`) and the same initial weights (the styled
student's FiLM starts at scale 1, shift 0, so it starts as the plain student):
  styled: mobilegen_styled_s_050 learns all three styles;
  plain:  mobilegen_s_050 learns `cartoon` alone (the graph's style input fixed to 1,0,0).
PSNR to the teacher per style on 8 frames of each bundled clip at 256 px wide.

    python docs/measurements/styled_distill.py teacher   # writes styled_teacher.onnx
    python docs/measurements/styled_distill.py styled    # or: plain
    python docs/measurements/styled_distill.py score
"""

import json
import sys
import time

import numpy as np
import torch
from torch import nn

STYLES = ("cartoon", "sepia", "mono")
CARD = ("styles=" + ",".join(STYLES), "style_input=style")
SEPIA = [[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]]


class StyledCartoon(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        from stylelite.models.load import load_model

        self.cartoon = load_model("cyclegan_r9_bn.cartoon").model.float().eval()
        self.register_buffer("sepia", torch.tensor(SEPIA))
        self.register_buffer("luma", torch.tensor([0.299, 0.587, 0.114]))

    def forward(self, image, style):
        y = (self.cartoon(image) + 1) / 2  # [0, 1]
        sepia = torch.einsum("oc,bchw->bohw", self.sepia, y).clamp(0, 1)
        mono = torch.einsum("c,bchw->bhw", self.luma, y)[:, None].expand_as(y)
        w = style[:, :, None, None, None]
        out = w[:, 0] * y + w[:, 1] * sepia + w[:, 2] * mono
        return out * 2 - 1


def frames() -> dict[str, list[np.ndarray]]:
    import cv2

    from stylelite.runtime.corpus import clip_paths
    from stylelite.runtime.video import read_video

    out = {}
    for name, path in clip_paths().items():
        clip, _ = read_video(path, max_frames=80)
        picked = clip[:: max(1, len(clip) // 8)][:8]
        out[name] = [
            cv2.resize(f, (256, round(f.shape[0] * 64 / f.shape[1]) * 4), interpolation=cv2.INTER_AREA) for f in picked
        ]
    return out


def main() -> None:
    torch.set_num_threads(1)
    which = sys.argv[1]
    if which == "teacher":
        x, style = torch.zeros(1, 3, 64, 64), torch.tensor([[1.0, 0.0, 0.0]])
        axes = {"image": {0: "n", 2: "h", 3: "w"}, "style": {0: "n"}, "out": {0: "n", 2: "h", 3: "w"}}
        torch.onnx.export(StyledCartoon().eval(), (x, style), "styled_teacher.onnx", input_names=["image", "style"],
                          output_names=["out"], dynamic_axes=axes, dynamo=False)  # fmt: skip
        return
    if which in ("styled", "plain"):
        from stylelite.distill.distiller import distill
        from stylelite.distill.training_state import save_weights
        from stylelite.models.registry import create_student

        torch.manual_seed(0)
        plain = create_student("mobilegen_s_050")
        styled = create_student("mobilegen_styled_s_050")
        missing = styled.load_state_dict(plain.state_dict(), strict=False).missing_keys
        assert all(k.startswith("condition.") or k == "style_names" for k in missing), missing
        init = {"plain": plain, "styled": styled}[which]
        save_weights(f"init_{which}.safetensors", init, metadata={"model": init.card.name})
        card = CARD if which == "styled" else ("inputs.style=1,0,0",)
        t0 = time.time()
        run = distill(teacher="styled_teacher.onnx", teacher_card=card, student=init.card.name, w_feature=0.0,
                      data=("world",), steps=600, threads=1, progress=False, init_from=f"init_{which}.safetensors",
                      out=f"runs_{which}")  # fmt: skip
        json.dump({"run": str(run), "minutes": round((time.time() - t0) / 60, 1)}, open(f"run_{which}.json", "w"))
        return
    score()


def score() -> None:
    """PSNR per clip and style (the student's style k against the teacher's style k, and against the teacher's
    other styles); styled_distill.jpg shows the first frame of
    each clip: the teacher's three styles above, the student's below."""
    import cv2

    from stylelite.models.graph_teacher import GraphCard, GraphTeacher
    from stylelite.models.load import load_model
    from stylelite.models.tensors import to_tensor
    from stylelite.runtime.metrics import psnr

    teacher = GraphTeacher("styled_teacher.onnx", GraphCard.parse(CARD))
    runs = {w: json.load(open(f"run_{w}.json"))["run"] + "/student.safetensors" for w in ("styled", "plain")}
    students = {w: load_model(path).model for w, path in runs.items()}

    def to_u8(y):
        return ((y[0].permute(1, 2, 0).clamp(-1, 1) + 1) * 127.5).round().byte().numpy()

    result: dict = {}
    rows = []
    for clip, fs in frames().items():
        scores = {(k, w): [] for k in range(3) for w in ("styled", "other", "plain")}
        for i, f in enumerate(fs):
            x = to_tensor(f)  # [1,3,H,W]
            with torch.no_grad():
                ref = [to_u8(teacher.forward_styled(x, torch.eye(3)[j : j + 1], torch.ones(1))) for j in range(3)]
                out = [
                    to_u8(students["styled"].forward_styled(x, torch.eye(3)[k : k + 1], torch.ones(1)))
                    for k in range(3)
                ]
                plain = to_u8(students["plain"](x))
            for k in range(3):
                scores[k, "styled"].append(psnr(out[k], ref[k]))
                scores[k, "other"] += [psnr(out[k], ref[j]) for j in range(3) if j != k]
            scores[0, "plain"].append(psnr(plain, ref[0]))
            if i == 0:
                rows.append(np.vstack([np.hstack([f, *ref]), np.hstack([f, *out])]))
        for k, style in enumerate(STYLES):
            entry = {w: round(float(np.mean(v)), 2) for (kk, w), v in scores.items() if kk == k and v}
            result[f"{clip}/{style}"] = entry
            print(clip, style, entry, flush=True)
    json.dump(result, open("styled_distill.json", "w"), indent=1)
    width = max(r.shape[1] for r in rows)
    sheet = np.vstack([np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0))) for r in rows])
    cv2.imwrite("styled_distill.jpg", cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])


if __name__ == "__main__":
    main()
