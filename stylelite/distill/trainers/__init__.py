"""Train teachers: `stylelite train-teacher` (stylelite.distill.trainers.family.train_teacher_family).

- `pix2pix`: paired folders, or photos whose targets a filter computes per augmented crop
  (`--target-filter cartoon`); the built-in cartoon teacher is the latter on the bundled photos
  (`TeacherTrainConfig`).
- `cyclegan`: unpaired, two ResNet generators and two PatchGANs (Zhu et al. 2017), LSGAN or WGAN-GP.
- `unit`: unpaired, coupled VAE-GANs with a shared latent space (Liu et al. 2017).
- `multistyle`: one AdaIN network for several styles, trained with the perceptual loss.
- `fast_neural_style`: Johnson et al.'s perceptual-loss training of one TransformerNet per style.

Each family is a per-step `FamilyTrainer` run by the loop distillation shares (stylelite.distill.loop):
single-process or under torchrun (DistributedDataParallel) with the same command, a numbered run
folder (resolved config, versions, JSONL + TensorBoard logs, resumable state) and finally
`teacher_fp16.safetensors`, whose metadata names the registered architecture.
"""

from stylelite.distill.trainers.config import FAMILIES, FamilyTrainConfig, TeacherTrainConfig
from stylelite.distill.trainers.family import train_teacher_family

__all__ = ["FAMILIES", "FamilyTrainConfig", "TeacherTrainConfig", "train_teacher_family"]
