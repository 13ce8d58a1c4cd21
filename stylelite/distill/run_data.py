"""What a distillation run reads besides its sources: the teacher's label store and the QAT calibration crops."""

from __future__ import annotations

import numpy as np
import torch

from stylelite.distill.distill_config import DistillConfig
from stylelite.distill.distributed import DistributedContext


def open_label_store(c: DistillConfig, teacher, start: int, progress: bool, ctx: DistributedContext, styles: int = 0):
    """Fill (or complete) the label store `c.labels` with `teacher`, then read it; DistillTrainer reseeds
    its batch generator from (seed, step) every step, so a resumed run draws what the uninterrupted run would.
    The crops come from the `--data` images (`--data world`: the bundled photos and textures). Under torchrun
    the ranks fill alternate shards, then wait for each other."""
    from stylelite.distill.augment import AugmentConfig
    from stylelite.distill.data import named_sources
    from stylelite.distill.label_store import LabelStore, StoreSpec, file_digest, fill_label_store
    from stylelite.models.registry import weights_file

    sources = named_sources(c.data)
    weights = c.teacher_checkpoint or weights_file(c.teacher) or c.teacher  # shipped, packaged, or a file
    spec = StoreSpec(
        teacher=f"{c.teacher}:{c.teacher_checkpoint}" if c.teacher_checkpoint else c.teacher,
        teacher_digest="" if c.random_teacher else file_digest(weights),
        crop=c.crop,
        crops=c.label_crops,
        shard_size=128,
        seed=c.seed,
        sources=tuple(sources),
        augment=AugmentConfig(view=c.label_view).with_colours(c.label_colours).to_dict(),
        styles=styles,  # a style-conditioned student: each crop labelled under its own condition
    )
    part = (ctx.rank, ctx.world_size)
    fill_label_store(c.labels, teacher, spec, list(sources.values()), progress=progress and ctx.is_main, part=part)
    ctx.barrier()
    return LabelStore(c.labels, seed=[c.seed + 1, start])


def calibration_batches(images: list, crop: int, n: int, batch: int, seed: int) -> list[torch.Tensor]:
    """`n` batches of random real crops [B,3,crop,crop] in [-1, 1] (inputs only, no teacher labels)."""
    from stylelite.models.tensors import to_tensor

    rng = np.random.default_rng(seed + 101)
    out = []
    for _ in range(n):
        crops = []
        for _ in range(batch):
            img = images[int(rng.integers(len(images)))]
            h, w = img.shape[:2]
            if min(h, w) < crop:
                import cv2

                s = crop / min(h, w)
                img = cv2.resize(img, (max(crop, round(w * s)), max(crop, round(h * s))))
                h, w = img.shape[:2]
            y, x = int(rng.integers(h - crop + 1)), int(rng.integers(w - crop + 1))
            crops.append(img[y : y + crop, x : x + crop])
        out.append(to_tensor(np.stack(crops)))
    return out
