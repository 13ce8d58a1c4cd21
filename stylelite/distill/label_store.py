"""A reusable on-disk store of teacher labels: many augmented crops and the teacher's outputs.

On a CPU the teacher costs about two hundred students (0.65 s per 160-px crop on one core for the
built-in ResNet-9), so labelling fresh crops every step would leave the student idle. The store is
written once, shard by shard, and read by every student and every run that shares its teacher and
crop size:

- `store.json` names the teacher (its weights), the crop size, the seed, the sources and the
  augmentation; a store made for another teacher or crop is refused rather than mixed.
- `labels-00000.npz`, ... hold `inputs` and `outputs` as uint8 [N,crop,crop,3] RGB (the teacher's
  output quantized as the runtime quantizes it). Each shard is written to a temporary file and
  renamed, and shard i is drawn from its own seed, so an interrupted fill resumes where it stopped
  and gives the same store as an uninterrupted one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import time
import zipfile
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import torch

from stylelite.distill.augment import AugmentConfig, augmented_crop
from stylelite.distill.data import label_crops
from stylelite.models.tensors import to_tensor
from stylelite.runtime.errors import ConfigError, InputError
from stylelite.runtime.files import atomic_path, check_writable_folder, write_error
from stylelite.runtime.json_text import loads_bounded

STORE_FORMAT = 2  # 2: the spec names the teacher's weights by digest, not only by name
SPEC_FILE = "store.json"
# bounds on what a user or an edited store.json may state: a store is read whole into memory, so a
# million crops (7,813 shards) is far beyond any use, and a bound keeps every loop over shards short
MAX_CROPS = 1_000_000
MAX_SHARD_SIZE = 4096
MAX_CROP = 4096
# what may sit in a store folder besides store.json: its shards and the temporary files of atomic writes
_STORE_NAME = re.compile(r"^(labels-\d{5}\.npz|\.(store\.json|labels-\d{5}\.npz)\..+\.tmp)$")


@dataclass(frozen=True)
class StoreSpec:
    """What a label store holds; two fills agree on it or the second is refused."""

    teacher: str  # the teacher: `name.tag` for shipped weights, `name:file` for a checkpoint file
    # sha256 (16 hex) of the teacher's weights or graph file: a `name.tag` whose shipped weights changed
    # with a stylelite upgrade is another teacher ("" for a teacher without a file)
    teacher_digest: str
    crop: int
    crops: int  # crops wanted in all
    shard_size: int
    seed: int
    sources: tuple[str, ...]  # names of the source images, in order
    augment: dict
    # a style-conditioned teacher's store: each crop labelled under its own condition over this many styles
    # (its shards add `weights` float32 [N,styles] and `strength` float32 [N]); 0: one-style labels
    styles: int = 0

    def __post_init__(self) -> None:
        """Every field of the right type and in bounds (a spec may come from an edited store.json)."""
        bounds = {
            "crop": (32, MAX_CROP),
            "crops": (1, MAX_CROPS),
            "shard_size": (1, MAX_SHARD_SIZE),
            "seed": (0, 2**63),
            "styles": (0, 4096),
        }
        for name, (low, high) in bounds.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ConfigError(f"{name}={value!r}: a label store takes a whole number from {low} to {high}")
        if not isinstance(self.teacher, str) or not isinstance(self.teacher_digest, str):
            raise ConfigError("teacher and teacher_digest must be strings")
        if not isinstance(self.sources, tuple) or not self.sources or not all(isinstance(n, str) for n in self.sources):
            raise ConfigError("sources must be a non-empty list of image names")
        if not isinstance(self.augment, dict):
            raise ConfigError("augment must be a table of augmentation settings")

    def to_dict(self) -> dict:
        return {"format": STORE_FORMAT, **{k: list(v) if isinstance(v, tuple) else v for k, v in vars(self).items()}}

    @property
    def shards(self) -> int:
        return -(-self.crops // self.shard_size)

    def shard_crops(self, index: int) -> int:
        """How many crops shard `index` holds (the last one may be short)."""
        return min(self.shard_size, self.crops - index * self.shard_size)

    def agrees_with(self, other: StoreSpec) -> list[str]:
        """Fields that differ, except `crops` (a store may grow). The teacher is compared by the digest of its
        file when both have one (the same file typed as an absolute or a relative path is the same teacher),
        else by name."""
        mine, theirs = self.to_dict(), other.to_dict()
        diff = [k for k in mine if k not in ("crops", "teacher") and mine[k] != theirs[k]]
        if _teacher_identity(self) != _teacher_identity(other) and "teacher_digest" not in diff:
            diff.insert(0, "teacher")
        return diff


_FILE_SUFFIXES = (".onnx", ".pt", ".pt2", ".tflite", ".pth", ".safetensors", ".bin", ".ckpt")


def _teacher_identity(spec: StoreSpec) -> tuple[str, str]:
    """(name, digest): a teacher given as a file (a graph, a weights file) is its digest alone (its path is
    only where it was typed from); `name:file` keeps the architecture's name; a `name.tag` its name."""
    name = spec.teacher.partition(":")[0]
    if spec.teacher_digest and ":" not in spec.teacher and Path(name).suffix.lower() in _FILE_SUFFIXES:
        return "", spec.teacher_digest
    return name, spec.teacher_digest


FIELD_WORDS = {"teacher_digest": "teacher weights"}


def file_digest(path: str | Path | None) -> str:
    """sha256 (16 hex) of a file, read in chunks; "" for no file (a folder-shaped graph, a random teacher)."""
    if path is None or not Path(path).is_file():
        return ""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:16]


def read_spec(folder: str | Path) -> StoreSpec:
    """The spec in `folder`/store.json; InputError (one line) when it is missing, unreadable, edited
    (a missing or an unknown key, a value of the wrong type or out of bounds) or of another version."""
    path = Path(folder) / SPEC_FILE
    try:
        if path.stat().st_size > 1 << 24:  # a spec is a few kB; never read a huge file whole
            raise InputError(f"{path} is {path.stat().st_size} bytes, not a label store's spec")
        raw = loads_bounded(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"{folder} is not a label store (no {SPEC_FILE}): fill one with stylelite distill --labels"
        ) from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InputError(f"{path} is unreadable ({exc}); remove the folder and fill it again") from None
    if not isinstance(raw, dict):
        raise InputError(f"{path} is not a label store's spec; remove the folder and fill it again")
    if raw.pop("format", None) != STORE_FORMAT:
        raise InputError(f"{path} was written by another stylelite version; fill a new store")
    raw.setdefault("styles", 0)  # stores filled before style-conditioned stores existed hold one-style labels
    names = [f.name for f in fields(StoreSpec)]
    missing, extra = [k for k in names if k not in raw], sorted(set(raw) - set(names))
    if missing or extra:
        what = f"no {missing[0]!r}" if missing else f"an unknown key {extra[0]!r}"
        raise InputError(f"{path} has {what} (edited?): remove the folder and fill it again")
    if isinstance(raw["sources"], list):
        raw["sources"] = tuple(raw["sources"])
    try:
        return StoreSpec(**raw)
    except ConfigError as exc:
        raise InputError(f"{path} is damaged ({exc}): remove the folder and fill it again") from None


def check_store_folder(folder: str | Path, crops: int) -> None:
    """What `--labels FOLDER --label-crops N` can do, checked before any teacher loads (InputError, one line):
    FOLDER is a folder, it is a label store or new (never a folder of other files: a store does not mix with
    a user's photos), its store.json is sound, and it is writable when it must be made or grow."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"--labels {folder} is a file: give a folder for the label store (a new or a filled one)")
    if not folder.exists():
        check_writable_folder(folder, f"the label store {folder}")
        return
    if not (folder / SPEC_FILE).exists():
        other = sorted(p.name for p in folder.iterdir() if not _STORE_NAME.match(p.name))
        if other:
            raise InputError(
                f"--labels {folder} holds other files ({other[0]}, ...) and no {SPEC_FILE}: a label store needs a "
                "folder of its own; give a new folder"
            )
        check_writable_folder(folder, f"the label store {folder}")
        return
    spec = read_spec(folder)
    full = spec.crops >= crops and all(shard_path(folder, i).exists() for i in range(-(-crops // spec.shard_size)))
    if not full:
        check_writable_folder(folder, f"the label store {folder} (it holds fewer than {crops} crops)")


def shard_path(folder: Path, index: int) -> Path:
    return folder / f"labels-{index:05d}.npz"


def teacher_labels(teacher: torch.nn.Module, crops: np.ndarray, batch: int = 8, condition=None) -> np.ndarray:
    """The teacher's outputs for uint8 RGB crops [N,S,S,3], as uint8 RGB (data.label_crops, then [-1, 1]
    mapped to [0, 255] as the runtime quantizes); `condition` (weights [N,styles], strengths [N]) renders a
    style-conditioned teacher under each crop's own condition."""
    out = []
    for i in range(0, len(crops), batch):
        cond = None if condition is None else tuple(c[i : i + batch] for c in condition)
        y, _ = label_crops(teacher, crops[i : i + batch], condition=cond)
        if y.ndim != 4 or y.shape[0] != len(crops[i : i + batch]) or y.shape[1] != 3:
            raise InputError(
                f"the teacher returned {list(y.shape)} for a batch of {len(crops[i : i + batch])} crops "
                f"{list(crops[i : i + batch].shape)}: a teacher must return one RGB image per input (a graph that "
                "is correct only at batch 1 cannot label a store)"
            )
        out.append(((y + 1.0) * 127.5).clamp(0, 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy())
    return np.concatenate(out)


def fill_label_store(
    folder: str | Path,
    teacher: torch.nn.Module,
    spec: StoreSpec,
    images: list[np.ndarray],
    progress: bool = True,
    part: tuple[int, int] = (0, 1),
) -> int:
    """Fill `folder` up to `spec.crops` labelled crops; returns the number of shards written now.

    Args:
        folder: the store (created if missing; an existing one must agree with `spec`).
        teacher: the teacher, in eval mode.
        spec: what the store holds; `spec.sources` names `images` in order.
        images: the source images (uint8 RGB).
        part: (rank, world size): this process fills shards i with i % world == rank (torchrun ranks
            fill one store together; each shard is written atomically and is the same whoever writes it).
    """
    from tqdm import tqdm

    if len(images) != len(spec.sources) or not images:
        raise ConfigError("give one source name per image, and at least one image")
    folder = Path(folder)
    check_store_folder(folder, spec.crops)
    old = read_spec(folder) if (folder / SPEC_FILE).exists() else None
    if old is not None and (diff := spec.agrees_with(old)):
        raise ConfigError(
            f"the label store {folder} was made with other {', '.join(FIELD_WORDS.get(d, d) for d in diff)} "
            f"(teacher {old.teacher}, crop {old.crop}): give another --labels folder"
        )
    made = not folder.exists()
    if old is None or old.crops < spec.crops:  # new, or grown
        _write_atomic(folder / SPEC_FILE, json.dumps(spec.to_dict(), indent=1).encode())
    augment = AugmentConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in spec.augment.items()})
    rank, world = part
    todo = [i for i in range(spec.shards) if i % world == rank and not shard_path(folder, i).exists()]
    bar = tqdm(
        total=spec.shards, initial=spec.shards - len(todo), desc="teacher labels", unit="shard", disable=not progress
    )
    teacher.eval()
    try:
        for i in todo:
            n = spec.shard_crops(i)
            rng = np.random.default_rng([spec.seed, i])  # shard i is the same however the fill was interrupted
            crops = np.stack(
                [augmented_crop(images[rng.integers(len(images))], spec.crop, rng, augment) for _ in range(n)]
            )
            started = time.perf_counter()
            conditions = _conditions(spec, i, n)
            outputs = teacher_labels(teacher, crops, condition=conditions)
            if outputs.shape != crops.shape:  # never persist a shard the store would hold forever
                raise InputError(
                    f"the teacher returned labels of shape {list(outputs.shape)} for {n} crops {list(crops.shape)}: "
                    f"nothing was written to {shard_path(folder, i).name}; a graph that is correct only at batch 1 "
                    "cannot label a store"
                )
            extra = {} if conditions is None else {"weights": conditions[0].numpy(), "strength": conditions[1].numpy()}
            _write_atomic(shard_path(folder, i), _npz_bytes(inputs=crops, outputs=outputs, **extra))
            bar.set_postfix(s_per_crop=f"{(time.perf_counter() - started) / n:.2f}")
            bar.update()
    except BaseException:
        if old is None and not any(folder.glob("labels-*.npz")):  # a new store that got no shard: leave none
            (folder / SPEC_FILE).unlink(missing_ok=True)
            if made:
                with contextlib.suppress(OSError):
                    folder.rmdir()
        raise
    finally:
        bar.close()
    return len(todo)


class LabelStore:
    """A filled store in memory (uint8): batches of (input, teacher output) in [-1, 1]."""

    def __init__(self, folder: str | Path, seed: int | list[int] = 0) -> None:
        folder = Path(folder)
        self.spec = read_spec(folder)
        shards = {i: shard_path(folder, i) for i in range(self.spec.shards)}
        present = {i: p for i, p in shards.items() if p.exists()}
        if not present:
            raise InputError(f"the label store {folder} has no labelled shards yet: fill it first")
        arrays = [read_shard(p, self.spec.shard_crops(i), self.spec.crop, self.spec.styles) for i, p in present.items()]
        self.inputs, self.outputs = (np.concatenate([a[k] for a in arrays]) for k in (0, 1))
        self.conditions = None
        if self.spec.styles:
            self.conditions = tuple(torch.from_numpy(np.concatenate([a[k] for a in arrays])) for k in (2, 3))
        self.complete = len(present) == len(shards)
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.inputs)

    def batch(self, n: int) -> tuple[torch.Tensor, torch.Tensor, dict, tuple | None]:
        """n random (input, teacher output, no features, condition), as TeacherCache.batch: [n,3,S,S] in
        [-1, 1]; the condition (weights [n,styles], strengths [n]) of a style-conditioned store, else None."""
        idx = self.rng.integers(len(self), size=n)
        cond = None if self.conditions is None else tuple(c[torch.from_numpy(idx)] for c in self.conditions)
        return to_tensor(self.inputs[idx]), to_tensor(self.outputs[idx]), {}, cond


def read_shard(path: Path, n: int, crop: int, styles: int = 0) -> tuple[np.ndarray, ...]:
    """A shard's (inputs, outputs), both uint8 [n,crop,crop,3], and for a store of `styles` styles its
    (weights float32 [n,styles], strengths float32 [n]); InputError naming the shard when it is truncated,
    not an npz, holds object arrays (never unpickled), keys, shapes or values other than the store's."""
    fix = "remove it and run the same command again to fill it again"
    keys = ("inputs", "outputs", "weights", "strength") if styles else ("inputs", "outputs")
    try:
        with np.load(path, allow_pickle=False) as z:
            if not isinstance(z, np.lib.npyio.NpzFile) or set(z.files) != set(keys):
                raise InputError(f"the label shard {path} holds other arrays than {', '.join(keys)}: {fix}")
            arrays = tuple(z[k] for k in keys)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise InputError(f"the label shard {path} is damaged ({type(exc).__name__}): {fix}") from None
    want = (n, crop, crop, 3)
    for name, a in zip(("inputs", "outputs"), arrays):
        if a.dtype != np.uint8 or a.shape != want:
            raise InputError(
                f"the label shard {path} holds {name} {a.dtype}{list(a.shape)}, not uint8{list(want)}: {fix}"
            )
    if styles:
        weights, strength = arrays[2:]
        sound = weights.dtype == strength.dtype == np.float32 and weights.shape == (n, styles)
        sound = sound and strength.shape == (n,) and np.isfinite(weights).all() and np.isfinite(strength).all()
        sound = sound and weights.min() >= 0 and np.allclose(weights.sum(1), 1, atol=1e-3)
        if not sound or strength.min() < 0 or strength.max() > 1:
            raise InputError(f"the label shard {path} holds conditions that are not {n} style mixes of {styles}: {fix}")
    return arrays


def _conditions(spec: StoreSpec, index: int, n: int) -> tuple[torch.Tensor, torch.Tensor] | None:
    """Shard `index`'s conditions (from its own seed), or None for a one-style store."""
    from stylelite.distill.conditions import sample_conditions

    return sample_conditions(spec.styles, n, np.random.default_rng([spec.seed, index, 3])) if spec.styles else None


def _npz_bytes(**arrays: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _write_atomic(path: Path, data: bytes) -> None:
    try:
        with atomic_path(path) as tmp:
            tmp.write_bytes(data)
    except OSError as exc:  # read-only, full disk, ...: one line naming the file, nothing left behind
        raise write_error(exc, path) from None


def world_sources() -> dict[str, np.ndarray]:
    """`--data world`: the bundled real photos and greyscale textures (the `data` extra), name -> uint8 RGB,
    less the held-out photos every teacher and student is scored on (distill.photos.HELDOUT_PHOTOS)."""
    from stylelite.distill.photos import HELDOUT_PHOTOS
    from stylelite.runtime.corpus import photo_paths, texture_paths
    from stylelite.runtime.video import read_image

    paths = {**photo_paths(), **texture_paths()}
    return {name: read_image(path) for name, path in paths.items() if name not in HELDOUT_PHOTOS}
