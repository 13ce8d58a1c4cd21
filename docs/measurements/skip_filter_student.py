"""Research (issue 26, textured footage): the fastest ShuffleGen with a learned filter on its full-resolution skip.

ShuffleGen adds its residual to the input itself, so texture finer than its 1/4-resolution body (leaves at
320x240) passes straight through, where the cartoon teacher paints it flat. This student filters its skip with a
learned 5x5 depthwise kernel (75 weights, started at the identity), so it can soften the texture it cannot
cancel. The kernel is stored divided by 10 so that Adam at a fine-tune's learning rate can move it.

    python docs/measurements/skip_filter_student.py init t_050_sk_init.safetensors
    python docs/measurements/skip_filter_student.py distill --student shufflegen_t_050_sk \
        --init-from t_050_sk_init.safetensors ...   # any stylelite command, with this student registered

`init` writes the shipped fastest student's weights with the identity kernel added (a strict load).
"""

from __future__ import annotations

import sys

import torch
import torch.nn.functional as F
from torch import nn

from stylelite.models.registry import register_student
from stylelite.models.shufflegen import ShuffleGen, _bound, _card, channels_for_width

GAIN = 10.0  # the kernel is stored divided by this
KERNEL = 5


class SkipFilterShuffleGen(ShuffleGen):
    """ShuffleGen whose output is filter(input) + residual, the filter a learned depthwise KERNEL x KERNEL conv."""

    def __init__(self, channels: int, n_blocks: int) -> None:
        super().__init__(channels, n_blocks)
        self.skip_kernel = nn.Parameter(_identity())

    def forward_core(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(_bound(self.stem(x), self.bounds.get("stem")))
        residual = self.shuffle(_bound(self.head(h), self.bounds.get("head")))
        p = KERNEL // 2
        skip = F.conv2d(F.pad(x, (p, p, p, p), mode="reflect"), self.skip_kernel * GAIN, groups=3)
        return torch.clamp(skip + residual, *self.pixel_range)


def _identity() -> torch.Tensor:
    k = torch.zeros(3, 1, KERNEL, KERNEL)
    k[:, 0, KERNEL // 2, KERNEL // 2] = 1.0 / GAIN
    return k


@register_student(**_card(0.5, 4, note="research: learned 5x5 skip filter (docs/measurements/skip_filter_student.py)"))
def shufflegen_t_050_sk() -> ShuffleGen:
    return SkipFilterShuffleGen(channels_for_width(0.5), 4)


def write_init(path: str) -> None:
    """The shipped fastest student's weights plus the identity kernel, for `distill --init-from`."""
    from pathlib import Path

    from safetensors.torch import save_file

    from stylelite.models.load import load_model
    from stylelite.runtime.files import atomic_path

    if Path(path).exists():
        sys.exit(f"{path} exists; give a new file name")
    state = {k: v.contiguous() for k, v in load_model("shufflegen_t_050.cartoon").model.state_dict().items()}
    state["skip_kernel"] = _identity()
    with atomic_path(Path(path)) as tmp:
        save_file(state, str(tmp))


if __name__ == "__main__":
    if sys.argv[1:2] == ["init"]:
        write_init(sys.argv[2])
    else:
        from stylelite.cli.main import main

        sys.exit(main(sys.argv[1:]))
