"""The runtimes behind a GraphTeacher (models/graph_teacher.py): one runner per graph kind.

A runner opens its file (onnxruntime, torch for TorchScript and .pt2, LiteRT), checks the card against
the graph's declared inputs, and maps a layout-ready batch `z` (the card's layout and colour order)
plus per-image feeds to the graph's first output. Every output is checked to be an image batch with
one image per input frame before it is stacked, so a graph correct only at batch 1 is named, not
concatenated into labels of the wrong shape.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from stylelite.models.graph_card import GraphCard
from stylelite.runtime.errors import ConfigError


def conditioned_inputs(card: GraphCard) -> list[str]:
    """The inputs fed per image under a condition (the style weights, the strength)."""
    return [n for n in (card.style_input, card.strength_input) if n]


def _require_inputs(path: Path, available: list[str], wanted: list[str]) -> None:
    """ConfigError (one line) naming the first of `wanted` the graph does not take."""
    for name in wanted:
        if name not in available:
            raise ConfigError(f"{path.name} has no input {name!r} (inputs: {', '.join(available)}): check its card")


def _image_batch(path: Path, y, n: int) -> torch.Tensor:
    """`y` (a graph's first output for `n` frames) as a float tensor, if it is an image batch of `n`."""
    y = y[0] if isinstance(y, (tuple, list)) and y else y
    if not isinstance(y, torch.Tensor):
        y = torch.from_numpy(np.asarray(y, np.float32))
    if y.ndim != 4:
        raise ConfigError(
            f"{path.name} returned a {y.ndim}-D first output {list(y.shape)}; a teacher's first output is an "
            "image batch [N, C, H, W] (export the graph with the image as output 0)"
        )
    if y.shape[0] != n:
        raise ConfigError(
            f"{path.name} returned {list(y.shape)} for a batch of {n} frames: it is correct only at batch 1; "
            "add batch=1 to its card to feed it one frame at a time"
        )
    return y.float()


class OnnxRunner:
    def __init__(self, path: Path, card: GraphCard, device: str) -> None:
        import onnxruntime as ort

        from stylelite.models.graph_files import open_onnx_session

        self.path = path
        providers = ["CPUExecutionProvider"]
        if device != "cpu" and "CUDAExecutionProvider" in ort.get_available_providers():
            providers.insert(0, "CUDAExecutionProvider")
        self.sess = open_onnx_session(path, providers)
        self.runs_in = f"onnxruntime ({self.sess.get_providers()[0]})"
        inputs = {i.name: i for i in self.sess.get_inputs()}
        first_out = self.sess.get_outputs()[0]
        if isinstance(first_out.shape, list) and len(first_out.shape) != 4:
            outs = ", ".join(f"{o.name} {o.shape}" for o in self.sess.get_outputs())
            raise ConfigError(
                f"{path.name}: its first output {first_out.name} is {first_out.shape}, not an image batch; a teacher's "
                f"image must be output 0 (outputs: {outs})"
            )
        self.image = card.input or next(iter(inputs))
        if self.image not in inputs:
            raise ConfigError(f"{path.name} has no input {self.image!r} (inputs: {', '.join(inputs)})")
        _require_inputs(path, list(inputs), conditioned_inputs(card))
        if card.style_input:
            dims = inputs[card.style_input].shape
            if dims and isinstance(dims[-1], int) and dims[-1] != len(card.styles):
                raise ConfigError(
                    f"{path.name} takes {card.style_input} as {list(dims)}: name {dims[-1]} styles "
                    f"(styles= has {len(card.styles)})"
                )
        given = {self.image, *card.inputs, *conditioned_inputs(card)}
        missing = [n for n in inputs if n not in given]
        if missing:
            raise ConfigError(
                f"{path.name} also takes {', '.join(missing)}: give each a constant, e.g. inputs.{missing[0]}=1,0,0"
            )
        self.extra = {n: (np.asarray(v, np.float32), inputs[n]) for n, v in card.inputs.items() if n in inputs}
        shape = inputs[self.image].shape
        _check_layout(path, self.image, shape, card)
        # per-image inputs: the style weights ([n] per image) and the strength ([] per image); one declared
        # without a batch axis, or with a batch of exactly 1, makes the graph run one image at a time
        per_image = {card.style_input: 1, card.strength_input: 0}
        self.unbatched = {n for n in conditioned_inputs(card) if len(inputs[n].shape) == per_image[n]}
        batched_one = [n for n in conditioned_inputs(card) if n not in self.unbatched and inputs[n].shape[:1] == [1]]
        # a constant input declared with a batch of exactly 1 ([1, n]) takes one image's worth at a time too
        batched_one += [
            n for n, (v, info) in self.extra.items() if len(info.shape) == v.ndim + 1 and info.shape[0] == 1
        ]
        self.batch_one = card.batch == 1 or shape[0] == 1 or bool(self.unbatched) or bool(batched_one)
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
            outs.append(_image_batch(self.path, self.sess.run(None, feed)[0], len(b)))
        return torch.cat(outs)


def _check_layout(path: Path, name: str, shape: list, card: GraphCard, tflite: bool = False) -> None:
    """ConfigError when the graph declares its 3 channels on the other axis than the card's layout says."""
    mine, theirs = (3, 1) if card.layout == "NHWC" else (1, 3)
    if len(shape) == 4 and shape[mine] != 3 and shape[theirs] == 3:  # the channels sit on the other axis
        other = "NCHW" if card.layout == "NHWC" else "NHWC"
        why = " (a TFLite graph's images are NHWC)" if tflite and other == "NHWC" else ""
        raise ConfigError(
            f"{path.name} takes {name} as {list(shape)}, not {card.layout} with 3 channels: add layout={other}{why}"
        )


class TorchRunner:
    """TorchScript and .pt2 programs (run only when the caller trusts the file: GraphTeacher checks)."""

    def __init__(self, path: Path, card: GraphCard, device: str) -> None:
        from stylelite.models.graph_teacher import graph_kind

        self.path = path
        self.constants = {n: torch.tensor(v, dtype=torch.float32) for n, v in card.inputs.items()}
        self.fixed_size, self.batch_one = None, card.batch == 1
        pt2 = graph_kind(path) == "pt2"
        self.runs_in = f"torch ({'torch.export' if pt2 else 'TorchScript'})"
        if pt2:
            from stylelite.models.pt2_file import load_exported_program

            program = load_exported_program(path)
            self.module = program.module()
            self.names = list(program.graph_signature.user_inputs)
            shape = _first_input_shape(program)  # ints where the export fixed a dimension
            if shape is not None and len(shape) == 4:
                self.batch_one = self.batch_one or shape[0] == 1
                hw = shape[1:3] if card.layout == "NHWC" else shape[2:4]
                self.fixed_size = tuple(hw) if all(isinstance(d, int) for d in hw) else None
        else:
            self.module = torch.jit.load(str(path), map_location="cpu").eval()
            self.names = [a.name for a in self.module.forward.schema.arguments[1:]]  # after self
        self.image = card.input or (self.names[0] if self.names else "")
        if conditioned_inputs(card):  # a style-conditioned graph is fed by input name
            _require_inputs(path, self.names, [self.image, *card.inputs, *conditioned_inputs(card)])

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
            outs.append(_image_batch(self.path, y, len(b)))
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


class TFLiteRunner:
    def __init__(self, path: Path, card: GraphCard, device: str) -> None:
        from stylelite.models.graph_files import open_tflite

        self.path = path
        if card.style_input:
            raise ConfigError(
                f"{path.name}: a TFLite teacher is fed its image only; give a style-conditioned "
                "teacher as ONNX, TorchScript or .pt2"
            )
        self.interp = open_tflite(path)
        self.runs_in = "LiteRT"
        self.inp = self.interp.get_input_details()[0]
        self.out = self.interp.get_output_details()[0]
        if self.inp["dtype"] not in (np.float32, np.uint8):
            raise ConfigError(f"{path.name} takes {self.inp['dtype'].__name__} input; give a float32 or uint8 TFLite")
        shape = [int(v) for v in self.inp["shape"]]
        if len(shape) != 4:
            raise ConfigError(f"{path.name} takes its input as {shape}; a teacher takes an image batch [N, H, W, 3]")
        _check_layout(path, self.inp["name"], shape, card, tflite=True)
        self.fixed_size = tuple(shape[1:3] if card.layout == "NHWC" else shape[2:4])

    def __call__(self, z: torch.Tensor, feeds: dict[str, torch.Tensor]) -> torch.Tensor:
        outs = []
        for i in range(len(z)):
            x = z[i : i + 1].numpy()
            if self.inp["dtype"] == np.uint8:
                x = np.clip(np.round(x), 0, 255).astype(np.uint8)  # a uint8 graph reads [0, 255]
            self.interp.set_tensor(self.inp["index"], x)
            self.interp.invoke()
            y = self.interp.get_tensor(self.out["index"]).astype(np.float32)
            outs.append(_image_batch(self.path, y, 1))
        return torch.cat(outs)


RUNNERS = {"onnx": OnnxRunner, "torchscript": TorchRunner, "pt2": TorchRunner, "tflite": TFLiteRunner}
