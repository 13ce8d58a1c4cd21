"""Black-box teachers: a generator that exists only as an exported graph (ONNX, TorchScript, a
`torch.export` .pt2 or TFLite), run by its own runtime to label crops.

Distillation needs a teacher's outputs only (its features need its code), so the graph runs as it
was exported: ONNX through onnxruntime (the CUDA provider when distilling on CUDA and installed),
TFLite through LiteRT, TorchScript and .pt2 through torch. (onnx2torch, which would turn ONNX into a
torch module, imports torchvision, which has no wheel matching this project's pinned torch on the
package registries.) The graph's I/O contract is a `GraphCard`: value range, layout, colour order,
stride, a fixed size, constant extra inputs, and for a style-conditioned graph the input that takes
the style weights (`style_input`, one weight per name in `styles`) and optionally a strength input.
It is checked on a real photo before anything trains (`probe_graph_teacher`), alone and in a batch of
two, and every batch it labels must come back as one image per frame, of the frame's size.

A TorchScript or .pt2 teacher is a program: running it runs whatever its author wrote (TorchScript can
read and write files), so it runs only when the caller says the file is trusted (`trust_graph_code=True`,
`--trust-graph-code`); ONNX and TFLite graphs hold operators only and need no such flag. A .pt2 is read
without unpickling anything (models/pt2_file.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from stylelite.models.graph_card import GraphCard
from stylelite.runtime.errors import ConfigError, InputError

__all__ = ["GraphCard", "GraphTeacher", "graph_kind", "probe_graph_teacher", "TRUST_FLAG", "refuse_untrusted"]


TRUST_FLAG = "--trust-graph-code"
PROGRAM_KINDS = {"torchscript": "a TorchScript program", "pt2": "a torch.export program (.pt2)"}


def refuse_untrusted(path: str | Path, kind: str | None) -> None:
    """ConfigError (one line, naming the flag) for a graph that is a program the caller has not trusted."""
    if kind in PROGRAM_KINDS:
        raise ConfigError(
            f"{Path(path).name} is {PROGRAM_KINDS[kind]}: running it runs its author's code, which can read and "
            f"write your files; pass {TRUST_FLAG} (trust_graph_code=True in Python) only if you trust where it "
            "came from, or give the teacher as ONNX or TFLite"
        )


def graph_kind(path: str | Path) -> str | None:
    """'onnx' | 'torchscript' | 'pt2' | 'tflite' for an exported graph, else None."""
    from stylelite.models.checkpoints import GRAPH_KINDS, sniff_kind

    path = Path(path)
    kind = sniff_kind(path) if path.is_file() else None
    return kind if kind in GRAPH_KINDS else None


class GraphRunError(ConfigError):
    """The graph itself failed on a batch; `reason` is the runtime's words (the probe names its test frame)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class GraphTeacher(nn.Module):
    """An exported generator behind the teacher interface: forward(x) takes NCHW RGB in the card's input
    range and returns NCHW RGB in its output range; no gradients, no feature taps."""

    def __init__(self, path: str | Path, card: GraphCard, device: str = "cpu", trust_graph_code: bool = False) -> None:
        from stylelite.models.graph_files import first_line
        from stylelite.models.graph_runners import RUNNERS

        super().__init__()
        self.path, self.graph_card = Path(path), card
        self.kind = graph_kind(self.path)
        if self.kind is None:
            raise InputError(f"{self.path} is not an exported graph (ONNX, TorchScript, .pt2 or TFLite)")
        if not trust_graph_code:
            refuse_untrusted(self.path, self.kind)
        self.card = card.model_card(self.path.name, f"exported graph ({self.kind}): {self.path.name}")
        self.register_buffer("_anchor", torch.zeros(0), persistent=False)  # where the labels should go
        try:
            self._runner = RUNNERS[self.kind](self.path, card, device)
        except (ConfigError, InputError):
            raise
        except Exception as exc:  # the runtime's own refusal to load the file
            raise InputError(f"{self.path.name} could not be loaded as {self.kind}: {first_line(exc)}") from None
        self.fixed_size = self._runner.fixed_size  # (H, W) of a static-size graph, else None
        self.runs_in = self._runner.runs_in  # which runtime labels, for the log

    def tap_channels(self) -> dict[str, int]:
        return {}

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """NCHW RGB in the card's ranges; a style-conditioned graph renders its first style at full strength."""
        if self.graph_card.styles:
            weights = torch.zeros(len(x), len(self.graph_card.styles))
            weights[:, 0] = 1.0
            return self.forward_styled(x, weights, torch.ones(len(x)))
        return self._run(x, {})

    @torch.no_grad()
    def forward_styled(self, x: torch.Tensor, style_weights: torch.Tensor, strength: torch.Tensor) -> torch.Tensor:
        """As forward, under a condition: style_weights [B, n] (normalised to sum 1 here, as the runtime's
        controls are) go to the card's `style_input`; strength [B] in [0, 1] goes to its `strength_input`, or,
        for a graph without one, blends the output with the input as the runtime blends a one-style model."""
        card = self.graph_card
        if not card.styles:
            raise ConfigError(f"{self.path.name}: its card names no style input; add style_input= and styles=")
        w = style_weights.float().cpu()
        s = strength.float().cpu().reshape(-1)
        feeds = {card.style_input: w / w.sum(1, keepdim=True).clamp_min(1e-8)}
        if card.strength_input:
            return self._run(x, {**feeds, card.strength_input: s})
        y = self._run(x, feeds)
        (ilo, ihi), (olo, ohi) = card.input_range, card.output_range
        x_out = (x.float() - ilo) * ((ohi - olo) / (ihi - ilo)) + olo  # the input, in the output's range
        k = s.to(y.device).view(-1, 1, 1, 1)
        return k * y + (1 - k) * x_out.to(y.device)

    def _run(self, x: torch.Tensor, feeds: dict[str, torch.Tensor]) -> torch.Tensor:
        card = self.graph_card
        z = x.float().cpu()
        if card.color == "BGR":
            z = z.flip(1)
        if card.layout == "NHWC":
            z = z.permute(0, 2, 3, 1)
        try:
            y = self._runner(z.contiguous(), feeds)
        except (ConfigError, InputError):
            raise
        except Exception as exc:  # the graph's own failure (a shape it cannot take, an error it raises)
            from stylelite.models.graph_files import first_line

            why = first_line(exc)
            hint = "; if it takes one frame at a time, add batch=1 to its card"
            raise GraphRunError(
                f"{self.path.name} failed on a batch of {len(x)} {x.shape[-1]}x{x.shape[-2]} frames ({why})"
                + (hint if len(x) > 1 else ""),
                why,
            ) from None
        if card.layout == "NHWC":
            y = y.permute(0, 3, 1, 2)
        if card.color == "BGR":
            y = y.flip(1)
        same_size = y.shape[0] == len(x) and tuple(y.shape[-2:]) == tuple(x.shape[-2:])
        if same_size and y.shape[1] != 3:
            raise ConfigError(
                f"{self.path.name} returns {y.shape[1]} channel(s) per pixel, {list(y.shape)}; a teacher returns an "
                "RGB image (3 channels)"
            )
        if not same_size:
            hint = "is the layout right? layout=NHWC" if card.layout == "NCHW" else "is the layout right?"
            raise ConfigError(
                f"{self.path.name} maps {len(x)} {x.shape[-1]}x{x.shape[-2]} frame(s) to {list(y.shape)}; a teacher "
                f"returns one image per frame, the same size with 3 channels ({hint})"
            )
        return y.float().to(x.device)

    def forward_features(self, x: torch.Tensor, call=None) -> tuple[torch.Tensor, dict]:
        return (call or self)(x), {}


def probe_graph_teacher(teacher: GraphTeacher, frame: np.ndarray) -> None:
    """ConfigError (one line) unless `teacher` maps the uint8 RGB `frame` to a plausible image."""
    from stylelite.models.tensors import to_tensor

    card = teacher.graph_card
    h, w = frame.shape[:2]
    if teacher.fixed_size and (h, w) != tuple(teacher.fixed_size):
        fh, fw = teacher.fixed_size
        raise ConfigError(
            f"{teacher.path.name} takes {fw}x{fh} images only: distil it with --crop {fh}"
            if fh == fw
            else f"{teacher.path.name} takes {fw}x{fh} images only; stylelite trains on square crops"
        )
    x = to_tensor(frame, card.input_range)
    try:
        y = teacher(x)
    except GraphRunError as exc:
        raise ConfigError(
            f"{teacher.path.name} failed on a {w}x{h} test frame ({exc.reason}): check its card"
        ) from None
    if not bool(torch.isfinite(y).all()):
        raise ConfigError(f"{teacher.path.name} returns non-finite values on a test frame")
    lo, hi = card.output_range
    slack = 0.1 * (hi - lo)
    if float(y.min()) < lo - slack or float(y.max()) > hi + slack:
        raise ConfigError(
            f"{teacher.path.name} returns values in [{float(y.min()):.3g}, {float(y.max()):.3g}], outside its card's "
            f"output_range {list(card.output_range)}: give the graph's range, e.g. output_range=0,255"
        )
    if float(y.max() - y.min()) < 1e-6 * (hi - lo):
        raise ConfigError(f"{teacher.path.name} returns one flat colour for a textured frame: check input_range")
    _probe_batch(teacher, x, y)


def _probe_batch(teacher: GraphTeacher, x: torch.Tensor, y: torch.Tensor) -> None:
    """The test frame in a batch of two (with its mirror image) must label as it does alone: a graph
    correct only at batch 1 is named here, before anything is labelled or any run folder is made."""
    lo, hi = teacher.graph_card.output_range
    pair = teacher(torch.cat([x, x.flip(-1)]))  # a failure names the batch and batch=1
    if float((pair[:1] - y).abs().max()) > 0.01 * (hi - lo):
        raise ConfigError(
            f"{teacher.path.name} labels a frame differently alone and in a batch of 2: it is correct only at "
            "batch 1; add batch=1 to its card to feed it one frame at a time"
        )
