"""PyTorch engine: run a checkpoint directly on a development machine, before exporting it.

`load_engine("runs/.../student.safetensors")` (a stylelite weights file names its architecture) or
`load_engine("horse2zebra.pth", arch="cyclegan_r9")` (upstream checkpoints need the architecture).
The runtime never imports torch: importing this module registers the engine into the runtime's
engine registry for the checkpoint suffixes (the CLI does so when it is given a checkpoint).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from stylelite.runtime.engines import CHECKPOINT_SUFFIXES, ENGINES, register_engine
from stylelite.runtime.engines.base import Engine
from stylelite.runtime.engines.recurrent import PREV_OUTPUT_INPUT, RecurrentMixin
from stylelite.runtime.errors import ConfigError
from stylelite.runtime.style_control import StyleControl


class TorchEngine(RecurrentMixin, Engine):
    """A registered model with a checkpoint's weights, fp32 on the CPU, under torch.inference_mode.

    Args:
        threads: torch intra-op threads (0: leave torch's setting; a value sets it for the process).
        arch: the architecture of the checkpoint (`cyclegan_r9`); needed for `.pth/.pt` files and
            for safetensors files that do not name theirs.
    """

    name = "torch"

    def __init__(self, path: str | Path, threads: int = 0, arch: str | None = None) -> None:
        super().__init__(path)
        from stylelite.models.load import load_model, weights_metadata
        from stylelite.models.metadata import model_metadata

        meta = weights_metadata(self.path)
        if arch is None and not (meta.get("model") or meta.get("teacher")):
            raise ConfigError(
                f"{self.path.name} does not say which architecture it holds: pass --arch NAME "
                "(e.g. --arch cyclegan_r9; `stylelite list` shows the names)"
            )
        if threads:
            torch.set_num_threads(threads)
        model, identity = load_model(str(self.path)) if arch is None else load_model(arch, checkpoint=self.path)
        self.model = model.float().eval()
        self.meta = model_metadata(self.model, identity)
        self.options = {"threads": threads or torch.get_num_threads(), **({"arch": arch} if arch else {})}
        self.init_recurrent(["image", PREV_OUTPUT_INPUT] if self.meta.is_recurrent else ["image"])

    def infer(self, batch: np.ndarray, control: StyleControl | None = None) -> np.ndarray:
        if self.recurrent:  # the previous output travels frame to frame, as in the ONNX engine
            return self.run_recurrent(batch, self._run_recurrent_one)
        x = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32))  # [N,3,H,W]
        with torch.inference_mode():
            if self.styles:
                weights, strength = (torch.from_numpy(a) for a in self.style_inputs(control))
                y = self.model.forward_styled(x, weights.expand(len(x), -1), strength.expand(len(x)))
            else:
                y = self.model(x)
        return y.float().numpy()

    def _run_recurrent_one(self, x: np.ndarray, prev: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            y = self.model(torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(np.ascontiguousarray(prev)))
        return y.float().numpy()


def _torch_engine(path, threads=0, *, spin=True, arch=None) -> TorchEngine:
    return TorchEngine(path, threads=threads, arch=arch)


for _suffix in CHECKPOINT_SUFFIXES:
    if _suffix not in ENGINES:
        register_engine(_suffix, "PyTorch", _torch_engine, ("arch",))
