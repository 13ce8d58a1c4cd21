"""`stylelite search`: candidates trained briefly, timed on the target device, and the Pareto front.

GAN Compression and CAT search student widths against MACs; MACs are the wrong budget on real silicon
(a depthwise-heavy student reaches a third of the GMAC/s of dense convolutions on a CPU). Here every
candidate is distilled for a short schedule from the same teacher labels (a label store makes that cheap:
the teacher runs once for all candidates), exported to ONNX, and measured side by side in one bench run on
the target (this machine, or an ssh/adb/local inventory device through the device harness) on frames of a
held-out clip at the deployment size: latency there, PSNR/SSIM to the teacher and flicker. The front is
what no other candidate beats on all three; the pick is the most faithful front point within the budget.

An interrupted search resumes: a candidate whose student or export is already in the output folder, made
with the same settings, is not trained or exported again (workflows/search_folder.py records what made each
file; a folder made with other settings is refused, a changed file is named).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from stylelite.runtime.errors import ConfigError
from stylelite.workflows.pareto import SearchPoint, mark_front, pick

# both families at several widths and depths: the front shows where each pays
DEFAULT_CANDIDATES = (
    "mobilegen_s_025",
    "mobilegen_s_050",
    "mobilegen_s_100",
    "shufflegen_t_038",
    "shufflegen_t_050",
    "shufflegen_f_050",
    "shufflegen_s_050",
    "shufflegen_m_075",
)


@dataclass(frozen=True)
class SearchConfig:
    """What a search trains, where it measures and what it picks.

    Attributes:
        teacher: the teacher (a shipped `name.tag`, or a name with teacher_checkpoint).
        candidates: registered student names.
        labels: a label store folder shared by every candidate (filled once; see distill --labels);
            None: each candidate labels its own small in-memory cache.
        steps: distillation steps per candidate (a short schedule: ranking, not shipping).
        clip: a held-out clip (a video file, or a name of the data extra: bikes, carphone, bigbuckbunny).
        size: the deployment size (W, H) the clip is resized to and every candidate is timed at.
        frames: clip frames used.
        budget_ms: the latency budget of the pick (None: the most faithful front point).
        device: an inventory target to time on (None: this machine); devices: the inventory file.
    """

    teacher: str = "cyclegan_r9_bn.cartoon"
    teacher_checkpoint: str | None = None
    random_teacher: bool = False
    candidates: tuple[str, ...] = DEFAULT_CANDIDATES
    labels: str | None = None
    label_crops: int = 2048
    crop: int = 160
    steps: int = 600
    batch: int = 8
    lr: float = 2e-3
    data: tuple[str, ...] = ("world",)
    clip: str = "bikes"
    size: tuple[int, int] = (640, 480)
    frames: int = 16
    iters: int = 20
    budget_ms: float | None = None
    device: str | None = None
    devices: str | None = None
    threads: int = 0
    seed: int = 0
    extra_distill: dict = field(default_factory=dict)  # more DistillConfig fields for every candidate

    def __post_init__(self) -> None:
        from stylelite.models.registry import STUDENTS

        if not self.candidates:
            raise ConfigError("give at least one candidate student (stylelite list students)")
        for name in self.candidates:
            STUDENTS.get(name)  # an unknown name fails here, with suggestions
        if len(set(self.candidates)) != len(self.candidates):
            raise ConfigError("each candidate once: the candidates repeat a name")
        if self.budget_ms is not None and not (0 < self.budget_ms < 1e6):
            raise ConfigError(f"budget_ms={self.budget_ms}: give a latency budget in ms > 0 (e.g. --budget-ms 33)")
        if self.frames < 2 or self.steps < 1 or self.iters < 1:
            raise ConfigError("frames must be >= 2 (flicker needs pairs), steps and iters >= 1")
        w, h = self.size
        if not (16 <= w <= 8192 and 16 <= h <= 8192):
            raise ConfigError(f"size {w}x{h}: give a deployment size between 16 and 8192 per side")


@dataclass
class SearchResult:
    points: list[SearchPoint]
    front: list[SearchPoint]
    picked: SearchPoint | None
    out: Path


def search(config: SearchConfig, out: str | Path = "search", progress: bool = True) -> SearchResult:
    """Train, export and measure every candidate; write search.json, search.md and pareto.png into `out`."""
    from stylelite.reports.pareto import pareto_table, plot_pareto
    from stylelite.runtime.files import write_json_atomic, write_text_atomic
    from stylelite.workflows.search_folder import SearchFolder

    folder = SearchFolder(out)  # a file, or another search's files without a record: refused here
    out = folder.out
    folder.clean()  # what a killed search left
    clip = _search_clip(config, folder)  # a bad clip fails before any training
    if config.device and config.budget_ms is not None:  # so does a latency budget on an emulated board
        from stylelite.device_tests.inventory import load_inventory, select_devices

        if select_devices(load_inventory(config.devices), config.device)[0].emulated:
            raise ConfigError(
                f"--budget-ms: {config.device} is an emulated board (qemu), whose latency is not the board's; "
                "search there without a latency budget, or time on a real board"
            )
    models_dir = out / "models"
    teacher_settings = _teacher_settings(config)
    teacher = _export(folder, config.teacher, config.teacher_checkpoint, models_dir / "teacher.onnx", teacher_settings)
    artifacts = {}
    for name in config.candidates:
        settings = {**teacher_settings, **_training_settings(config), "student": name}
        weights = _train(config, name, folder, settings, progress)
        artifacts[name] = _export(folder, str(weights), None, models_dir / f"{name}.onnx", settings)
    records = _measure(config, list(artifacts.values()), teacher, clip)
    by_artifact = {}
    for r in records:  # the first record of each artifact (a device may add a latency-only one)
        by_artifact.setdefault(r.artifact, r)
    points = []
    for name, path in artifacts.items():
        r = by_artifact[str(path)]
        points.append(
            SearchPoint(
                student=name,
                artifact=str(path),
                gmacs_256=r.gmacs_256,
                latency_ms=r.latency_ms.get("p50"),
                fidelity_psnr_db=r.fidelity_psnr_db,
                fidelity_ssim=r.fidelity_ssim,
                flicker=r.flicker,
                ceiling_ratio=r.ceiling_ratio,
                status=r.status,
            )
        )
    front = mark_front(points)
    picked = pick(points, config.budget_ms)
    device = config.device or "this machine"
    if any(r.emulated for r in records):
        device += " (emulated: latency is the emulator's, not the board's)"
    summary = {
        "config": {**asdict(config), "size": f"{config.size[0]}x{config.size[1]}"},
        "device": device,
        "clip": str(clip),
        "teacher_artifact": str(teacher),
        "points": [p.to_dict() for p in points],
        "front": [p.student for p in front],
        "pick": picked.student if picked else None,
        "pick_fits_budget": bool(picked and (config.budget_ms is None or picked.latency_ms <= config.budget_ms)),
    }
    write_json_atomic(out / "search.json", summary)
    rows = [p.to_dict() for p in points]
    plot_pareto(rows, out / "pareto.png", config.budget_ms, f"Student search on {device}")
    budget = f"{config.budget_ms:g} ms" if config.budget_ms else "none"
    verdict = _verdict(picked, config.budget_ms)
    md = (
        f"# Student search\n\nTeacher `{config.teacher}`; {len(points)} candidates, {config.steps} steps each; "
        f"timed on {device} at {config.size[0]}x{config.size[1]} on {config.frames} frames of `{Path(clip).name}`; "
        f"budget {budget}.\n\n{pareto_table(rows, markdown=True)}\n\n**Pick:** {verdict}\n\n![front](pareto.png)\n"
    )
    write_text_atomic(out / "search.md", md)
    return SearchResult(points, front, picked, out)


def _verdict(picked: SearchPoint | None, budget_ms: float | None) -> str:
    if picked is None:
        return "none (no candidate was measured)"
    text = f"`{picked.student}`: {picked.latency_ms:.1f} ms, {picked.fidelity_psnr_db:.2f} dB"
    if budget_ms is not None and picked.latency_ms > budget_ms:
        text += f" - nothing fits {budget_ms:g} ms; this is the fastest front point"
    return text


def _digest(path: str | None) -> str:
    """The digest of a file the user named ("" for a name that is not a file)."""
    from stylelite.distill.label_store import file_digest

    return file_digest(path) if path else ""


def _teacher_settings(config: SearchConfig) -> dict:
    """What makes the teacher export: the teacher and its file's bytes (a path typed two ways is one file)."""
    return {
        "teacher": config.teacher if not Path(config.teacher).is_file() else Path(config.teacher).name,
        "teacher_file": _digest(config.teacher),
        "teacher_checkpoint": _digest(config.teacher_checkpoint),
        "random_teacher": config.random_teacher,
    }


def _training_settings(config: SearchConfig) -> dict:
    """What makes a candidate's student besides the teacher (not threads: the same result on any count)."""
    names = ("labels", "label_crops", "crop", "steps", "batch", "lr", "data", "seed", "extra_distill")
    return {k: getattr(config, k) for k in names}


def _search_clip(config: SearchConfig, folder) -> Path:
    """The held-out clip's first `frames` frames at the deployment size, written once into the search folder."""
    import cv2

    from stylelite.runtime.corpus import CLIPS, clip_paths
    from stylelite.runtime.video import read_video, write_video

    w, h = config.size
    path = folder.out / f"clip_{Path(config.clip).stem}_{w}x{h}.mp4"
    named = config.clip in CLIPS
    settings = {"clip": config.clip if named else Path(config.clip).name, "size": [w, h], "frames": config.frames}
    settings["clip_file"] = "" if named else _digest(config.clip)
    if folder.reusable(path, settings):
        return path
    source = clip_paths((config.clip,))[config.clip] if named else Path(config.clip)
    frames, fps = read_video(source, config.frames)
    if len(frames) < 2:
        raise ConfigError(f"{source.name} has {len(frames)} frame(s); the search needs at least 2 (flicker)")
    write_video(path, [cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA) for f in frames], fps)
    folder.made(path, settings)
    return path


def _train(config: SearchConfig, student: str, folder, settings: dict, progress: bool) -> Path:
    """The candidate's distilled weights (trained now unless the search folder records a finished run of it
    made with the same settings)."""
    from stylelite.distill.distiller import distill

    for key in [k for k in folder.files if k.startswith(f"runs/{student}/")]:
        if folder.reusable(folder.out / key, settings):
            return folder.out / key
    fields = dict(
        teacher_checkpoint=config.teacher_checkpoint,
        random_teacher=config.random_teacher,
        crop=config.crop,
        steps=config.steps,
        batch=config.batch,
        lr=config.lr,
        data=config.data,
        threads=config.threads,
        seed=config.seed,
        save_every=max(config.steps, 1),
    )
    if config.labels:
        fields.update(labels=config.labels, label_crops=config.label_crops, w_feature=0.0)
    fields.update(config.extra_distill)
    run = distill(config.teacher, student, out=folder.out / "runs" / student, progress=progress, **fields)
    folder.made(run / "student.safetensors", settings)
    return run / "student.safetensors"


def _export(folder, model: str, checkpoint: str | None, path: Path, settings: dict) -> Path:
    """An fp32 ONNX export (verified against PyTorch), unless the search folder records one made with
    the same settings."""
    if folder.reusable(path, settings):
        return path
    from stylelite.export.api import export_model

    made = export_model(model, path, checkpoint).path
    folder.made(made, settings)
    return made


def _measure(config: SearchConfig, models: list[Path], teacher: Path, clip: Path) -> list:
    """One bench run of every candidate and the teacher (the fidelity reference), here or on the device."""
    if config.device is None:
        from stylelite.benchmark.host_bench import bench

        run = bench(
            [*models, teacher], clip, reference=teacher, iters=config.iters, threads=config.threads, progress=False
        )
        return run.records
    from stylelite.device_tests.inventory import load_inventory, select_devices
    from stylelite.device_tests.remote_bench import bench_devices

    devices = select_devices(load_inventory(config.devices), config.device)
    if devices[0].kind == "adb":
        raise ConfigError(
            f"{devices[0].name} is an adb target, which runs .tflite files; the search times ONNX exports: "
            "use a local or ssh target (or bench the picked student's TFLite export there)"
        )
    records, _ = bench_devices([*models, teacher], clip, devices[:1], reference=teacher, iters=config.iters)
    return records


def read_search(out: str | Path) -> dict:
    """The search.json of a finished search."""
    return json.loads((Path(out) / "search.json").read_text(encoding="utf-8"))
