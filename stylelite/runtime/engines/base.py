"""The inference-engine interface: uint8 RGB frames in, uint8 RGB frames out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np

from stylelite.runtime.errors import ExportError, InputError
from stylelite.runtime.metadata import ArtifactMetadata
from stylelite.runtime.style_control import StyleControl, blend_strength

# Activation memory per input pixel, when the artifact does not record it (meta.activation_bytes_per_pixel):
# about 1.25 * sqrt(parameters) bytes. Activations grow with a network's width and parameters with its square;
# measured with onnxruntime on the CPU: mobilegen_s_025 (18.7k parameters) 150 B/px, a 62k-parameter student
# about 300 B/px. Without a parameter count: DEFAULT_BYTES_PER_PIXEL.
DEFAULT_BYTES_PER_PIXEL = 1024


class Engine(ABC):
    """One artifact loaded in one inference runtime."""

    name: str = "engine"
    recurrent: bool = False  # fed its own previous output (RecurrentMixin sets it from the metadata)

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.meta: ArtifactMetadata
        self.options: dict = {}  # the engine settings in effect (threads, providers, ...), for reports

    def reset(self) -> None:
        """Forget any state carried between frames (a recurrent engine's previous output); a no-op here."""
        return None

    @property
    def styles(self) -> tuple[str, ...]:
        """Style names a style-conditioned model renders (empty: a single-style model)."""
        return tuple(self.meta.styles)

    def style_inputs(self, control: StyleControl | None) -> tuple[np.ndarray, np.ndarray]:
        """float32 style weights [1, n_styles] and strength [1] for a style-conditioned model; no
        control renders the first style at full strength."""
        control = control or StyleControl()
        return control.weights(self.styles), np.array([control.strength], np.float32)

    @abstractmethod
    def infer(self, batch: np.ndarray, control: StyleControl | None = None) -> np.ndarray:
        """Raw model call: float32 [N,3,H,W] in the model's input range -> same layout out (an artifact with uint8
        I/O, `bytes_io`: uint8 RGB [N,H,W,3] in and out, as `preprocess` gives and `postprocess` takes).

        `control` matters only to style-conditioned models (`self.styles` non-empty), which take it as
        the extra inputs named in stylelite.runtime.style_control; other engines ignore it.
        """

    def preprocess(self, frame: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
        """uint8 RGB [H,W,3] -> (model input [1,3,H',W'] padded to the stride, (H, W))."""
        from stylelite.runtime.frames import to_model_input

        return to_model_input(frame, self.meta)

    def postprocess(
        self, y: np.ndarray, hw: tuple[int, int], frame: np.ndarray, control: StyleControl | None = None
    ) -> np.ndarray:
        """Raw output -> uint8 RGB at `frame`'s size: cropped to `hw` (the size the model saw), resized
        when that was smaller than `frame`, and blended with `frame` by the strength of a single-style model."""
        import cv2

        from stylelite.runtime.frames import as_rgb, from_model_output

        h, w = hw
        if y.dtype != np.uint8 and not np.isfinite(y).all():  # NaN weights or a broken graph: never saved as a picture
            raise ExportError(
                f"{self.path.name} returned NaN/Inf values on a {w}x{h} frame: the model is broken (non-finite "
                "weights or a diverged training), so its output is not an image; export a working checkpoint"
            )
        out = np.ascontiguousarray(y[0, :h, :w]) if y.dtype == np.uint8 else from_model_output(y, self.meta)[0, :h, :w]
        if out.shape[:2] != frame.shape[:2]:
            out = cv2.resize(out, (frame.shape[1], frame.shape[0]), interpolation=cv2.INTER_LINEAR)
        if control is not None and not self.styles:
            out = blend_strength(out, as_rgb(frame), control.strength)
        return out

    def stylize(self, frame: np.ndarray, control: StyleControl | None = None) -> np.ndarray:
        """uint8 RGB [H,W,3] (any size) -> uint8 RGB [H,W,3], rendered as `control` asks."""
        if control is not None:
            control.check(self.styles)
        x, hw = self.preprocess(frame)
        return self.postprocess(self.infer(x, control), hw, frame, control)

    def activation_bytes(self, height: int, width: int) -> int:
        """A cheap estimate of the memory one frame of this size takes in the model (bytes): pixels times a
        per-pixel factor from the artifact's metadata (see DEFAULT_BYTES_PER_PIXEL)."""
        per_pixel = self.meta.activation_bytes_per_pixel
        if not per_pixel:
            params = self.meta.params
            per_pixel = 1.25 * float(params) ** 0.5 if params else DEFAULT_BYTES_PER_PIXEL
        return int(height * width * float(per_pixel))

    def describe(self) -> str:
        """e.g. `onnxruntime:student.onnx (providers=CPUExecutionProvider, graph_optimization=all)`."""
        opts = ", ".join(f"{k}={','.join(v) if isinstance(v, (list, tuple)) else v}" for k, v in self.options.items())
        return f"{self.name}:{self.path.name}" + (f" ({opts})" if opts else "")


def inference_error(path: Path, batch_shape, exc: BaseException) -> InputError:
    """The one-line error for an inference call that failed on a [N,3,H,W] batch: out of memory (with a
    --process-size that halves the frame) or the graph refusing the frame (a size it cannot take)."""
    h, w = (int(v) for v in tuple(batch_shape)[-2:])
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    why = (lines[0] if lines else type(exc).__name__)[:240]
    low = str(exc).lower()
    if isinstance(exc, MemoryError) or any(k in low for k in ("bad_alloc", "failed to allocate", "out of memory")):
        return InputError(
            f"{path.name} ran out of memory on a {w}x{h} frame: add --process-size {max(8, w // 2)}x{max(8, h // 2)} "
            "(the output is resized back), or free memory"
        )
    return InputError(
        f"{path.name} failed on a {w}x{h} frame ({why}): the graph cannot take this frame; run it at a size it "
        "takes with --process-size WxH, or check the card it was stamped with"
    )


def no_metadata_message(path: Path) -> str:
    """What to do with a graph that lacks stylelite's metadata (one stylelite did not make)."""
    return (
        f"{path.name} has no stylelite metadata: stamp a copy with how to feed it, e.g. stylelite export {path.name} "
        f"--card input_range=0,255 --card output_range=0,255 -o {path.stem}_stamped{path.suffix} "
        f"(stylelite inspect {path.name} lists its inputs)"
    )


def check_input_shape(
    name: str, meta: ArtifactMetadata, shape, layout: str = "NCHW", input_name: str = "the image input"
) -> None:
    """ExportError (one line) when a graph's image input `shape` cannot take what its metadata promises:
    a [1,3,H,W] (NCHW) or [1,H,W,3] (NHWC) frame of the metadata's size. A dimension that is not a
    non-negative int (a name, None, -1) is dynamic and fits anything.

    Args:
        name: the artifact's file name, for the message.
        layout: the layout the engine feeds the graph (NCHW for ONNX, NHWC for LiteRT).
    """
    dims = list(shape)
    channel, spatial = (1, (2, 3)) if layout == "NCHW" else (3, (1, 2))
    h, w = meta.height, meta.width
    fits = len(dims) == 4 and _fits(dims[channel], 3)
    if fits and h and w:
        fits = _fits(dims[spatial[0]], h) and _fits(dims[spatial[1]], w)
    if fits:
        return
    size = f"{w}x{h}" if h and w else "any-size"
    want = f"1x3x{h or 'H'}x{w or 'W'}" if layout == "NCHW" else f"1x{h or 'H'}x{w or 'W'}x3"
    got = "x".join(str(d) if _fixed(d) else (d if isinstance(d, str) and d else "?") for d in dims)
    raise ExportError(
        f"{name}: its metadata says {meta.layout} {size} RGB frames, so the graph's input should be {want} "
        f"({layout}), but the graph's input {input_name} is {got or 'a scalar'} (rank {len(dims)}); "
        "the file does not match its metadata: re-export it with `stylelite export`"
    )


def _fixed(d) -> bool:
    return isinstance(d, (int, np.integer)) and d >= 0


def _fits(d, want: int) -> bool:
    return not _fixed(d) or int(d) == want
