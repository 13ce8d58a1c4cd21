"""Weights that ship with stylelite."""

import distill.models.cyclegan_resnet  # noqa: F401  (registers the architectures tagged below)
from distill.models.registry import register_pretrained

register_pretrained(
    "cyclegan_r9_bn.cartoon",
    "cyclegan_r9_bn_cartoon_fp16.safetensors",
    "ResNet-9 CycleGAN generator trained by `stylelite train-teacher` on scikit-image photos "
    "to reproduce the OpenCV cartoon filter (distill/cartoon.py)",
)
