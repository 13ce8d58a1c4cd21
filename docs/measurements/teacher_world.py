"""The built-in cartoon teacher's recipe on broader data (issue 12 item 6): pix2pix with the cartoon filter,
cyclegan_r9_bn, crop 96, batch 4, LSGAN + 100 x L1, exactly as models/weights/cyclegan_r9_bn_cartoon.config.json,
but on `world` (the data extra's 15 photos and 4 tinted textures, less the two held-out photos) for 2400 steps.
Resumable: run it again and it continues from the run folder's last saved state.

    python docs/measurements/teacher_world.py OUT_DIR [THREADS]   (THREADS: 1 by default; may change on resume)
    python docs/measurements/teacher_on_clips.py OUT_DIR/<run>/teacher_fp16.safetensors
"""

import dataclasses
import sys
from pathlib import Path

from stylelite.distill.trainers import TeacherTrainConfig, train_teacher_family


def main() -> None:
    out = Path(sys.argv[1])
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    config = dataclasses.replace(TeacherTrainConfig(steps=2400, threads=threads).family_config(), data_a=("world",))
    runs = sorted(out.glob("*")) if out.is_dir() else []
    train_teacher_family(config, out=out, resume=runs[-1] if runs else None, progress=False)


if __name__ == "__main__":
    main()
