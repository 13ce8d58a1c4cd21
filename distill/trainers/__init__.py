"""Train teachers of several families: `stylelite train-teacher --family ...`.

- `cyclegan`: unpaired, two ResNet generators and two PatchGANs (Zhu et al. 2017), LSGAN or WGAN-GP.
- `unit`: unpaired, coupled VAE-GANs with a shared latent space (Liu et al. 2017).
- `multistyle`: one AdaIN network for several styles, trained with the perceptual loss.
- `fast_neural_style`: Johnson et al.'s perceptual-loss training of one TransformerNet per style.
- `pix2pix`: paired folders (the built-in cartoon teacher stays in distill/train_teacher.py).

Each family runs single-process or under torchrun (DistributedDataParallel) with the same command,
writes a numbered run folder (resolved config, versions, JSONL + TensorBoard logs, resumable state)
and finishes with `teacher_fp16.safetensors`, whose metadata names the registered architecture.
"""

from stylelite.distill.trainers.config import FAMILIES, FamilyTrainConfig
from stylelite.distill.trainers.loop import train_teacher_family

__all__ = ["FAMILIES", "FamilyTrainConfig", "train_teacher_family"]
