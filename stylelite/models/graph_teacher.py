"""Black-box teachers: a generator that exists only as an exported graph (ONNX, TorchScript, a
`torch.export` .pt2 or TFLite), run by its own runtime to label crops.

Distillation needs a teacher's outputs only (its features need its code), so the graph runs as it
was exported: ONNX through onnxruntime (the CUDA provider when distilling on CUDA and installed),
TFLite through LiteRT, TorchScript and .pt2 through torch. (onnx2torch, which would turn ONNX into a
torch module, imports torchvision, which has no wheel matching this project's pinned torch on the
package registries.) The graph's I/O contract is a `GraphCard`: value range, layout, colour order,
stride, a fixed size, constant extra inputs, and for a style-conditioned graph the input that takes
the style weights (`style_input`, one weight per name in `styles`) and optionally a strength input.
It is checked on a real photo before anything trains (`probe_graph_teacher`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
import torch
from torch import nn

from stylelite.models.registry import ModelCard
from stylelite.runtime.errors import ConfigError, InputError


@dataclass(frozen=True)
class GraphCard:
    """How to feed an exported generator (a TOML card, or `key=value` options)."""

    input_range: tuple[float, float] = (-1.0, 1.0)
    output_range: tuple[float, float] = (-1.0, 1.0)
    layout: str = "NCHW"  # or NHWC
    color: str = "RGB"  # or BGR
    stride: int = 4  # H and W are padded to a multiple of this
    input: str = ""  # the image input's name (default: the graph's first input)
    inputs: dict = field(default_factory=dict)  # other inputs: name -> constant value (list of numbers)
    styles: tuple = ()  # a style-conditioned graph: the style each weight of `style_input` stands for
    style_input: str = ""  # the input taking the style weights, [B, len(styles)] or [len(styles)]
    strength_input: str = ""  # the input taking a strength in [0, 1]; without one, strength blends with the input

    def __post_init__(self) -> None:
        for name in ("input_range", "output_range"):
            value = tuple(float(v) for v in getattr(self, name))
            if len(value) != 2 or not value[0] < value[1]:
                raise ConfigError(f"{name}={list(value)}: give [low, high], e.g. {name}=0,255")
            object.__setattr__(self, name, value)
        if self.layout not in ("NCHW", "NHWC"):
            raise ConfigError(f"layout={self.layout!r}: use NCHW or NHWC")
        if self.color not in ("RGB", "BGR"):
            raise ConfigError(f"color={self.color!r}: use RGB or BGR")
        if isinstance(self.stride, bool) or not isinstance(self.stride, int) or self.stride < 1:
            raise ConfigError(f"stride={self.stride}: use a whole number >= 1")
        styles = (self.styles.split(",") if isinstance(self.styles, str) else self.styles) or ()
        object.__setattr__(self, "styles", tuple(str(n).strip() for n in styles))
        if self.styles and not self.style_input:
            raise ConfigError("styles= names the weights of a style input: add style_input=NAME (the graph's input)")
        if self.style_input and not self.styles:
            raise ConfigError(f"style_input={self.style_input}: name its styles, e.g. styles=ink,wash,neon")
        if len(set(self.styles)) != len(self.styles) or not all(self.styles):
            raise ConfigError(f"styles={','.join(self.styles)}: give distinct, non-empty names")
        if self.strength_input and not self.style_input:
            raise ConfigError("strength_input= belongs to a style-conditioned graph: add style_input= and styles=")

    @classmethod
    def parse(cls, specs: tuple[str, ...] | list[str]) -> GraphCard:
        """From TOML card files and `key=value` strings (later ones win): `input_range=0,255`,
        `layout=NHWC`, `color=BGR`, `stride=8`, `input=image`, `inputs.style=1,0,0`."""
        values: dict = {}
        for spec in specs:
            if "=" not in spec:
                values.update(_read_card(Path(spec)))
                continue
            key, _, raw = spec.partition("=")
            key = key.strip()
            if key.startswith("inputs."):
                values.setdefault("inputs", {})[key[7:]] = [float(v) for v in raw.split(",")]
            elif key in ("input_range", "output_range"):
                values[key] = _numbers(raw, key)
            elif key == "stride":
                values[key] = _whole(raw, key)
            elif key in ("layout", "color"):
                values[key] = raw.strip().upper()
            elif key in ("input", "style_input", "strength_input", "styles"):
                values[key] = raw.strip()
            else:
                known = ", ".join(f.name for f in fields(cls))
                raise ConfigError(f"unknown teacher card key {key!r} (known: {known}, inputs.NAME)")
        return cls(**values)

    def model_card(self, name: str, source: str) -> ModelCard:
        return ModelCard(
            name=name,
            family="graph",
            input_range=self.input_range,
            output_range=self.output_range,
            stride=self.stride,
            source=source,
            license="the graph's own",
            extra={
                "layout": self.layout,
                "color": self.color,
                **({"styles": list(self.styles)} if self.styles else {}),
            },
        )


def _numbers(raw: str, key: str) -> list[float]:
    try:
        return [float(v) for v in raw.split(",")]
    except ValueError:
        raise ConfigError(f"{key}={raw!r}: give two numbers, e.g. {key}=0,255") from None


def _whole(raw: str, key: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{key}={raw!r}: give a whole number") from None


def _read_card(path: Path) -> dict:
    from stylelite.runtime.files import read_toml

    raw = read_toml(path, "teacher card", ConfigError)
    unknown = set(raw) - {f.name for f in fields(GraphCard)}
    if unknown:
        raise ConfigError(f"{path}: unknown key {sorted(unknown)[0]!r} in the teacher card")
    return raw


def graph_kind(path: str | Path) -> str | None:
    """'onnx' | 'torchscript' | 'pt2' | 'tflite' for an exported graph, else None."""
    from stylelite.models.checkpoints import GRAPH_KINDS, sniff_kind

    path = Path(path)
    kind = sniff_kind(path) if path.is_file() else None
    return kind if kind in GRAPH_KINDS else None


class GraphTeacher(nn.Module):
    """An exported generator behind the teacher interface: forward(x) takes NCHW RGB in the card's input
    range and returns NCHW RGB in its output range; no gradients, no feature taps."""

    def __init__(self, path: str | Path, card: GraphCard, device: str = "cpu") -> None:
        super().__init__()
        self.path, self.graph_card = Path(path), card
        self.kind = graph_kind(self.path)
        if self.kind is None:
            raise InputError(f"{self.path} is not an exported graph (ONNX, TorchScript, .pt2 or TFLite)")
        self.card = card.model_card(self.path.name, f"exported graph ({self.kind}): {self.path.name}")
        self.register_buffer("_anchor", torch.zeros(0), persistent=False)  # where the labels should go
        self._runner = _RUNNERS[self.kind](self.path, card, device)
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
        y = self._runner(z.contiguous(), feeds)
        if y.ndim != 4:
            raise InputError(f"{self.path.name} returned a {y.ndim}-D output; a teacher returns an image batch")
        if card.layout == "NHWC":
            y = y.permute(0, 3, 1, 2)
        if card.color == "BGR":
            y = y.flip(1)
        return y.float().to(x.device)

    def forward_features(self, x: torch.Tensor, call=None) -> tuple[torch.Tensor, dict]:
        return (call or self)(x), {}


def _conditioned_inputs(card: GraphCard) -> list[str]:
    """The inputs fed per image under a condition (the style weights, the strength)."""
    return [n for n in (card.style_input, card.strength_input) if n]


def _require_inputs(path: Path, available: list[str], wanted: list[str]) -> None:
    """ConfigError (one line) naming the first of `wanted` the graph does not take."""
    for name in wanted:
        if name not in available:
            raise ConfigError(f"{path.name} has no input {name!r} (inputs: {', '.join(available)}): check its card")


class _OnnxRunner:
    def __init__(self, path: Path, card: GraphCard, device: str) -> None:
        import onnxruntime as ort

        providers = ["CPUExecutionProvider"]
        if device != "cpu" and "CUDAExecutionProvider" in ort.get_available_providers():
            providers.insert(0, "CUDAExecutionProvider")
        self.sess = ort.InferenceSession(str(path), providers=providers)
        self.runs_in = f"onnxruntime ({self.sess.get_providers()[0]})"
        inputs = {i.name: i for i in self.sess.get_inputs()}
        self.image = card.input or next(iter(inputs))
        if self.image not in inputs:
            raise ConfigError(f"{path.name} has no input {self.image!r} (inputs: {', '.join(inputs)})")
        _require_inputs(path, list(inputs), _conditioned_inputs(card))
        if card.style_input:
            dims = inputs[card.style_input].shape
            if dims and isinstance(dims[-1], int) and dims[-1] != len(card.styles):
                raise ConfigError(
                    f"{path.name} takes {card.style_input} as {list(dims)}: name {dims[-1]} styles "
                    f"(styles= has {len(card.styles)})"
                )
        given = {self.image, *card.inputs, *_conditioned_inputs(card)}
        missing = [n for n in inputs if n not in given]
        if missing:
            raise ConfigError(
                f"{path.name} also takes {', '.join(missing)}: give each a constant, e.g. inputs.{missing[0]}=1,0,0"
            )
        self.extra = {n: (np.asarray(v, np.float32), inputs[n]) for n, v in card.inputs.items() if n in inputs}
        shape = inputs[self.image].shape
        mine, theirs = (3, 1) if card.layout == "NHWC" else (1, 3)
        if len(shape) == 4 and shape[mine] != 3 and shape[theirs] == 3:  # the channels sit on the other axis
            other = "NCHW" if card.layout == "NHWC" else "NHWC"
            raise ConfigError(
                f"{path.name} takes {self.image} as {list(shape)}, not {card.layout} with 3 channels: "
                f"add layout={other}"
            )
        # per-image inputs: the style weights ([n] per image) and the strength ([] per image); one declared
        # without a batch axis, or with a batch of exactly 1, makes the graph run one image at a time
        per_image = {card.style_input: 1, card.strength_input: 0}
        self.unbatched = {n for n in _conditioned_inputs(card) if len(inputs[n].shape) == per_image[n]}
        batched_one = [n for n in _conditioned_inputs(card) if n not in self.unbatched and inputs[n].shape[:1] == [1]]
        self.batch_one = shape[0] == 1 or bool(self.unbatched) or bool(batched_one)
        hw = shape[1:3] if card.layout == "NHWC" else shape[2:4]
        self.fixed_size = tuple(hw) if all(isinstance(d, int) for d in hw) else None
        self.dtype = np.float16 if "float16" in inputs[self.image].type else np.float32

    def __call__(self, z: torch.Tensor, feeds: dict[str, torch.Tensor]) -> torch.Tensor:
        spans = [(i, i + 1) for i in range(len(z))] if self.batch_one else [(0, len(z))]
        outs = []
        for lo, hi in spans:
            b = z[lo:hi]
            feed = {self.image: b.numpy().astype(self.dtype)}
            for name, (value, info) in self.extra.items():
                tiled = np.broadcast_to(value, (len(b), *value.shape)) if len(info.shape) == value.ndim + 1 else value
                feed[name] = np.ascontiguousarray(tiled, dtype=np.float32)
            for name, value in feeds.items():  # per image: [B, n] weights, [B] strengths
                v = value[lo:hi].numpy()
                feed[name] = np.ascontiguousarray(v[0] if name in self.unbatched else v, np.float32)
            outs.append(torch.from_numpy(np.asarray(self.sess.run(None, feed)[0], np.float32)))
        return torch.cat(outs)


class _TorchRunner:
    def __init__(self, path: Path, card: GraphCard, device: str) -> None:
        self.constants = {n: torch.tensor(v, dtype=torch.float32) for n, v in card.inputs.items()}
        self.fixed_size, self.batch_one = None, False
        pt2 = graph_kind(path) == "pt2"
        self.runs_in = f"torch ({'torch.export' if pt2 else 'TorchScript'})"
        if pt2:
            program = torch.export.load(str(path))
            self.module = program.module()
            self.names = list(program.graph_signature.user_inputs)
            shape = _first_input_shape(program)  # ints where the export fixed a dimension
            if shape is not None and len(shape) == 4:
                self.batch_one = shape[0] == 1
                hw = shape[1:3] if card.layout == "NHWC" else shape[2:4]
                self.fixed_size = tuple(hw) if all(isinstance(d, int) for d in hw) else None
        else:
            self.module = torch.jit.load(str(path), map_location="cpu").eval()
            self.names = [a.name for a in self.module.forward.schema.arguments[1:]]  # after self
        self.image = card.input or (self.names[0] if self.names else "")
        if _conditioned_inputs(card):  # a style-conditioned graph is fed by input name
            _require_inputs(path, self.names, [self.image, *card.inputs, *_conditioned_inputs(card)])

    def __call__(self, z: torch.Tensor, feeds: dict[str, torch.Tensor]) -> torch.Tensor:
        outs = []
        for lo, hi in [(i, i + 1) for i in range(len(z))] if self.batch_one else [(0, len(z))]:
            b = z[lo:hi]
            constants = {n: e.expand(len(b), *e.shape) for n, e in self.constants.items()}
            if feeds:
                values = {self.image: b, **constants, **{n: v[lo:hi] for n, v in feeds.items()}}
                y = self.module(*[values[n] for n in self.names])
            else:  # as before: the image, then the card's constant inputs in order
                y = self.module(b, *constants.values())
            outs.append(y[0] if isinstance(y, (tuple, list)) else y)
        return torch.cat(outs)


def _first_input_shape(program) -> tuple | None:
    """The first user input's shape in an ExportedProgram (ints for static dimensions, else symbols)."""
    for node in program.graph.nodes:
        if node.op == "placeholder" and node.name in program.graph_signature.user_inputs:
            val = node.meta.get("val")
            if val is None:
                return None
            return tuple(int(d) if isinstance(d, int) else d for d in val.shape)
    return None


class _TFLiteRunner:
    def __init__(self, path: Path, card: GraphCard, device: str) -> None:
        from stylelite.runtime.errors import require

        interpreter = require("ai_edge_litert.interpreter", "litert")
        self.interp = interpreter.Interpreter(model_path=str(path))
        self.runs_in = "LiteRT"
        if card.style_input:
            raise ConfigError(
                f"{path.name}: a TFLite teacher is fed its image only; give a style-conditioned "
                "teacher as ONNX, TorchScript or .pt2"
            )
        self.interp.allocate_tensors()
        self.inp = self.interp.get_input_details()[0]
        self.out = self.interp.get_output_details()[0]
        if self.inp["dtype"] not in (np.float32, np.uint8):
            raise ConfigError(f"{path.name} takes {self.inp['dtype'].__name__} input; give a float32 or uint8 TFLite")
        n, a, b, _ = (int(v) for v in self.inp["shape"])
        self.fixed_size = (a, b)

    def __call__(self, z: torch.Tensor, feeds: dict[str, torch.Tensor]) -> torch.Tensor:
        outs = []
        for i in range(len(z)):
            x = z[i : i + 1].numpy()
            if self.inp["dtype"] == np.uint8:
                x = np.clip(np.round(x), 0, 255).astype(np.uint8)  # a uint8 graph reads [0, 255]
            self.interp.set_tensor(self.inp["index"], x)
            self.interp.invoke()
            outs.append(torch.from_numpy(self.interp.get_tensor(self.out["index"]).astype(np.float32)))
        return torch.cat(outs)


_RUNNERS = {"onnx": _OnnxRunner, "torchscript": _TorchRunner, "pt2": _TorchRunner, "tflite": _TFLiteRunner}


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
    try:
        y = teacher(to_tensor(frame, card.input_range))
    except (ConfigError, InputError):
        raise
    except Exception as exc:  # the runtime's own complaint about shapes or types
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"{teacher.path.name} failed on a {w}x{h} test frame ({first}): check its card") from None
    if tuple(y.shape[-2:]) != (h, w) or y.shape[1] != 3:
        raise ConfigError(
            f"{teacher.path.name} maps a {w}x{h} frame to {list(y.shape)}; a teacher returns the same size with 3 "
            "channels (is the layout right? layout=NHWC)"
        )
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
