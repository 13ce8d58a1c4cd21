"""The plans of the commands on the measurements pages (docs/measurements/) and of the silicon-built students, for
tests/cli/test_readme_commands.py (through tests/cli/readme_plans.py)."""

from __future__ import annotations

from tests.cli.plan_kit import EXPORT_FAST, EXPORT_FASTEST, EXPORT_SHIPPED, TINY_CROPS, WEIGHTS, Plan, parse_only, run


def calib_export(out: str) -> Plan:
    """An int8 export on the measurement's calibration photos: run on the workspace clip instead."""
    return run("", {"--calib calib": "--calib clip.mp4"}, creates=(out,))


def hd_pipeline_bench(*needs: str) -> Plan:
    """A 1280x720 `bench --pipeline` on bigbuckbunny: 4 frames of the workspace clip at 64x48."""
    return run("--max-frames 4", {"bigbuckbunny.mp4": "clip.mp4", "--size 1280x720": "--size 64x48"}, needs=needs)


PAGE_PLANS: dict[str, Plan] = {
    # ---- Measurements pages (docs/measurements/): the shipped students' speed, the demo recipe, int8
    "stylelite bench fastest.onnx fast.onnx shipped.onnx --clip bikes.mp4 --process-size 640x480": run(
        "--min-seconds 0.2",
        {"--process-size 640x480": "--process-size 64x48"},
        needs=(EXPORT_FASTEST, EXPORT_FAST, EXPORT_SHIPPED),
    ),
    "stylelite distill --teacher cyclegan_r9_bn.cartoon --student mobilegen_s_050 --steps 600": parse_only(
        "the demo's recipe (minutes); the same command with mobilegen_s_025 runs above at tiny size"
    ),
    (
        "stylelite export shufflegen_s_050.cartoon --precision auto --calib calib --threads 2 -o shipped_auto.onnx"
    ): parse_only(
        "needs the measurement's calibration photos and times every conv (~35 s); the --precision auto command "
        "of the export guide runs (slow) and tests/export/test_int8_layers.py covers it"
    ),
    "stylelite bench candidate.onnx shipped_auto.onnx --clip bikes.mp4 --process-size 640x480": parse_only(
        "benches the measurement's own files (candidate.onnx, shipped_auto.onnx); the bench of the shipped "
        "students at 640x480 above runs the same way"
    ),
    (
        "stylelite export shufflegen_s_050.cartoon --int8 --calib calib --no-equalize -o s050_int8_plain.onnx"
    ): calib_export("s050_int8_plain.onnx"),
    "stylelite export shufflegen_s_050.cartoon --int8 --calib calib -o s050_int8_eq.onnx": calib_export(
        "s050_int8_eq.onnx"
    ),
    (
        "stylelite distill --teacher cyclegan_r9_bn.cartoon --student shufflegen_t_050_sk --qat int8 --qat-engine "
        "ranges --init-from stylelite/models/weights/shufflegen_t_050_sk_cartoon.safetensors --labels labels "
        "--label-crops 1024 --crop 160 --batch 8 --steps 3000 --lr 1e-4 --w-feature 0 --w-pixel 0.25 --w-start 1 "
        "--w-ssim 0.5 --w-temporal 10 --temporal-batch 2 --data world --data opencv-photos --threads 1 --save-every 250"
    ): run(
        TINY_CROPS,
        {
            "stylelite/models/weights/": WEIGHTS,
            "--steps 3000": "--steps 2",
            "--label-crops 1024": "--label-crops 16",
            "--crop 160": "--crop 32",
        },
        slow="a tiny range-QAT run of the skip-filter student: a 16-crop store of the 49.6-GMAC teacher (~40 s)",
    ),
    "stylelite export shufflegen_t_050_sk.cartoon_int8 --int8 --calib calib -o sk_int8.onnx": calib_export(
        "sk_int8.onnx"
    ),
    "stylelite export shufflegen_s_050.cartoon -o s050_fp32.onnx": run(creates=("s050_fp32.onnx",)),
    "stylelite export shufflegen_t_050.cartoon -o t050_fp32.onnx": run(creates=("t050_fp32.onnx",)),
    "stylelite export shufflegen_t_050.cartoon --int8 --calib calib -o t050_int8.onnx": calib_export("t050_int8.onnx"),
    "stylelite export shufflegen_t_050.cartoon_int8 --int8 --calib calib -o t050q_int8.onnx": calib_export(
        "t050q_int8.onnx"
    ),
    (
        "stylelite export shufflegen_t_050.cartoon_int8 --int8 --calib calib --onnx-io uint8 -o t050q_u8.onnx"
    ): calib_export("t050q_u8.onnx"),
    "stylelite bench t050_fp32.onnx t050q_int8.onnx t050q_u8.onnx --clip bigbuckbunny.mp4 --pipeline --size 1280x720 "
    "--threads 2": hd_pipeline_bench(
        "stylelite export shufflegen_t_050.cartoon -o t050_fp32.onnx",
        "stylelite export shufflegen_t_050.cartoon_int8 --int8 --calib calib -o t050q_int8.onnx",
        "stylelite export shufflegen_t_050.cartoon_int8 --int8 --calib calib --onnx-io uint8 -o t050q_u8.onnx",
    ),
    (
        "stylelite export shufflegen_t_050_sk.cartoon_int8 --int8 --calib calib --onnx-io uint8 -o sk2_u8.onnx"
    ): calib_export("sk2_u8.onnx"),
    "stylelite bench sk2_u8.onnx t050q_u8.onnx --clip bigbuckbunny.mp4 --pipeline --size 1280x720 --threads 2 "
    "--workers 1,2": hd_pipeline_bench(
        "stylelite export shufflegen_t_050_sk.cartoon_int8 --int8 --calib calib --onnx-io uint8 -o sk2_u8.onnx",
        "stylelite export shufflegen_t_050.cartoon_int8 --int8 --calib calib --onnx-io uint8 -o t050q_u8.onnx",
    ),
    # ---- the skip filter folded into the head (precision.md, runtime.md)
    "stylelite export shufflegen_t_050_sk.cartoon_int8 --int8 --calib calib -o skf_int8.onnx": calib_export(
        "skf_int8.onnx"
    ),
    (
        "stylelite export shufflegen_t_050_sk.cartoon_int8 --int8 --calib calib --onnx-io uint8 -o skf_u8.onnx"
    ): calib_export("skf_u8.onnx"),
    (
        "stylelite bench skq_fp32.onnx skf_int8.onnx skf_u8.onnx --clip real --reference teacher.onnx --max-frames 40 "
        "--threads 2"
    ): parse_only(
        "benches the measurement's fp32 export and the teacher on three real clips (minutes); the student bench on "
        "real clips above runs the same command shape, and tests/models/test_skip_fold.py checks the folded picture"
    ),
    (
        "stylelite bench skq_fp32.onnx skf_int8.onnx teacher.onnx --clip textured --reference teacher.onnx "
        "--max-frames 40 --process-size 320x240 --threads 2"
    ): parse_only(
        "the teacher on three textured clips (minutes); the textured bench of the README runs the same shape"
    ),
    (
        "stylelite bench t050q_u8.onnx skf_u8.onnx sk_float_filter_u8.onnx --clip bigbuckbunny.mp4 --pipeline "
        "--size 1280x720 --threads 2 --workers 1,2"
    ): parse_only(
        "sk_float_filter_u8.onnx is the export the exporter made before the fold, which it no longer makes; the "
        "same pipeline bench of skf_u8 and t050q_u8 runs above as sk2_u8.onnx t050q_u8.onnx"
    ),
    (
        "stylelite bench t050_fp32.onnx t050_int8.onnx --clip bigbuckbunny.mp4 --pipeline --size 1280x720 --threads 2"
    ): hd_pipeline_bench(
        "stylelite export shufflegen_t_050.cartoon -o t050_fp32.onnx",
        "stylelite export shufflegen_t_050.cartoon --int8 --calib calib -o t050_int8.onnx",
    ),
    (
        "stylelite bench s050_fp32.onnx s050_int8_plain.onnx s050_int8_eq.onnx teacher.onnx --clip real "
        "--reference teacher.onnx --max-frames 40"
    ): run(
        "--min-seconds 0.2",
        {"--max-frames 40": "--max-frames 2"},
        needs=(
            "stylelite export shufflegen_s_050.cartoon --int8 --calib calib --no-equalize -o s050_int8_plain.onnx",
            "stylelite export shufflegen_s_050.cartoon --int8 --calib calib -o s050_int8_eq.onnx",
            "stylelite export shufflegen_s_050.cartoon -o s050_fp32.onnx",
        ),
        slow="the student bench on real clips above runs the same command shape (~40 s with the teacher on 3 clips)",
    ),
    (
        "stylelite export shufflegen_s_050.cartoon --format tflite --int8 --static-size 256 --calib calib "
        "--tflite-io uint8 -o s050_int8_eq.tflite"
    ): run(
        "",
        {"--static-size 256": "--static-size 64", "--calib calib": "--calib clip.mp4"},
        creates=("s050_int8_eq.tflite",),
        slow="converts through onnx2tf and TensorFlow (~30 s); tests/export/test_tflite.py covers int8 TFLite",
    ),
    (
        "stylelite bench s050_fp32.tflite s050_int8_plain.tflite s050_int8_eq.tflite teacher.onnx --clip real "
        "--process-size 256x256 --reference teacher.onnx --max-frames 40"
    ): parse_only(
        "needs three TFLite exports (onnx2tf, ~30 s each) and the teacher on three clips; the ONNX bench of the "
        "same three forms above runs"
    ),
    (
        "stylelite distill --teacher cyclegan_r9_bn.cartoon --student shufflegen_s_050 --qat int8 --qat-engin"
        "e ranges --init-from stylelite/models/weights/shufflegen_s_050_cartoon.safetensors --labels labels -"
        "-label-crops 1024 --crop 160 --batch 8 --steps 1500 --lr 1e-4 --w-feature 0 --w-pixel 0.25 --w-start"
        " 1 --w-ssim 0.25 --w-temporal 5 --temporal-batch 2 --data world --threads 2 --save-every 250"
    ): parse_only(
        "fine-tunes the shipped student for 1,500 steps (12 minutes) from a path in the source tree; "
        "tests/distill/test_range_qat.py runs the same engine through the CLI at tiny size"
    ),
    "python docs/measurements/int8_sensitivity.py student.onnx teacher.onnx --clip carphone": parse_only(
        "a measurement script: dozens of quantized exports scored on a real clip (minutes)"
    ),
    # ---- Students built for the silicon
    "stylelite bench mobilegen_s_025.onnx mobilegen_s_050.onnx shufflegen_t_038.onnx shufflegen_s_050.onnx "
    "shufflegen_m_075.onnx --clip clip.mp4 --process-size 640x480": parse_only(
        "needs the five exported students a search writes; tests/benchmark/test_host_bench.py runs the ceiling "
        "columns on the committed student"
    ),
    "stylelite search --candidates mobilegen_s_025 mobilegen_s_050 shufflegen_t_038 shufflegen_s_050 "
    "shufflegen_m_075 --labels labels --label-crops 2560 --crop 160 --steps 1000 --clip bikes --size 640x480 "
    "--frames 16 --budget-ms 33 -o search": parse_only(
        "minutes per candidate even at tiny sizes; tests/search/test_student_search.py runs a two-candidate "
        "search end to end through the same command"
    ),
}
