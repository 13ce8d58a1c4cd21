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

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from stylelite.distill.augment import AugmentConfig, augmented_crop
from stylelite.distill.data import label_crops
from stylelite.models.tensors import to_tensor
from stylelite.runtime.errors import ConfigError, InputError
from stylelite.runtime.files import atomic_path

STORE_FORMAT = 2  # 2: the spec names the teacher's weights by digest, not only by name
SPEC_FILE = "store.json"


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

    def to_dict(self) -> dict:
        return {"format": STORE_FORMAT, **{k: list(v) if isinstance(v, tuple) else v for k, v in vars(self).items()}}

    @property
    def shards(self) -> int:
        return -(-self.crops // self.shard_size)

    def agrees_with(self, other: StoreSpec) -> list[str]:
        """Fields that differ, except `crops` (a store may grow)."""
        mine, theirs = self.to_dict(), other.to_dict()
        return [k for k in mine if k != "crops" and mine[k] != theirs[k]]


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
    path = Path(folder) / SPEC_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"{folder} is not a label store (no {SPEC_FILE}): fill one with stylelite distill --labels"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path} is unreadable ({exc}); remove the folder and fill it again") from None
    if raw.pop("format", None) != STORE_FORMAT:
        raise InputError(f"{path} was written by another stylelite version; fill a new store")
    raw["sources"] = tuple(raw["sources"])
    return StoreSpec(**raw)


def shard_path(folder: Path, index: int) -> Path:
    return folder / f"labels-{index:05d}.npz"


def teacher_labels(teacher: torch.nn.Module, crops: np.ndarray, batch: int = 8) -> np.ndarray:
    """The teacher's outputs for uint8 RGB crops [N,S,S,3], as uint8 RGB (data.label_crops, then [-1, 1]
    mapped to [0, 255] as the runtime quantizes)."""
    out = []
    for i in range(0, len(crops), batch):
        y, _ = label_crops(teacher, crops[i : i + batch])
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
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / SPEC_FILE).exists():
        old = read_spec(folder)
        if diff := spec.agrees_with(old):
            raise ConfigError(
                f"the label store {folder} was made with other {', '.join(FIELD_WORDS.get(d, d) for d in diff)} "
                f"(teacher {old.teacher}, crop {old.crop}): give another --labels folder"
            )
    if not (folder / SPEC_FILE).exists() or read_spec(folder).crops < spec.crops:  # new, or grown
        _write_atomic(folder / SPEC_FILE, json.dumps(spec.to_dict(), indent=1).encode())
    augment = AugmentConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in spec.augment.items()})
    rank, world = part
    todo = [i for i in range(spec.shards) if i % world == rank and not shard_path(folder, i).exists()]
    bar = tqdm(
        total=spec.shards, initial=spec.shards - len(todo), desc="teacher labels", unit="shard", disable=not progress
    )
    teacher.eval()
    for i in todo:
        n = min(spec.shard_size, spec.crops - i * spec.shard_size)
        rng = np.random.default_rng([spec.seed, i])  # shard i is the same however the fill was interrupted
        crops = np.stack([augmented_crop(images[rng.integers(len(images))], spec.crop, rng, augment) for _ in range(n)])
        started = time.perf_counter()
        outputs = teacher_labels(teacher, crops)
        buf = _npz_bytes(inputs=crops, outputs=outputs)
        _write_atomic(shard_path(folder, i), buf)
        bar.set_postfix(s_per_crop=f"{(time.perf_counter() - started) / n:.2f}")
        bar.update()
    bar.close()
    return len(todo)


class LabelStore:
    """A filled store in memory (uint8): batches of (input, teacher output) in [-1, 1]."""

    def __init__(self, folder: str | Path, seed: int | list[int] = 0) -> None:
        folder = Path(folder)
        self.spec = read_spec(folder)
        shards = [shard_path(folder, i) for i in range(self.spec.shards)]
        present = [p for p in shards if p.exists()]
        if not present:
            raise InputError(f"the label store {folder} has no labelled shards yet: fill it first")
        inputs, outputs = [], []
        for p in present:
            with np.load(p) as z:
                inputs.append(z["inputs"])
                outputs.append(z["outputs"])
        self.inputs, self.outputs = np.concatenate(inputs), np.concatenate(outputs)
        self.complete = len(present) == len(shards)
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.inputs)

    def batch(self, n: int) -> tuple[torch.Tensor, torch.Tensor, dict, None]:
        """n random (input, teacher output), as TeacherCache.batch: [n,3,S,S] in [-1, 1]; no features, no
        condition (a store holds one-style labels)."""
        idx = self.rng.integers(len(self), size=n)
        return to_tensor(self.inputs[idx]), to_tensor(self.outputs[idx]), {}, None


def _npz_bytes(**arrays: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _write_atomic(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def world_sources() -> dict[str, np.ndarray]:
    """`--data world`: the bundled real photos and greyscale textures (the `data` extra), name -> uint8 RGB,
    less the held-out photos every teacher and student is scored on (distill.photos.HELDOUT_PHOTOS)."""
    from stylelite.distill.photos import HELDOUT_PHOTOS
    from stylelite.runtime.corpus import photo_paths, texture_paths
    from stylelite.runtime.video import read_image

    paths = {**photo_paths(), **texture_paths()}
    return {name: read_image(path) for name, path in paths.items() if name not in HELDOUT_PHOTOS}
