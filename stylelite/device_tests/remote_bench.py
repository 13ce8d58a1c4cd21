"""`stylelite bench --device`: the same measurements on each inventory target, in parallel.

The host reads the clip once, computes its optical flow and runs every artifact itself (the
parity reference); each target then stylizes the same frames with its own engines, and the
host scores what comes back: latency and memory as the target measured them, flicker and
fidelity from the pulled outputs. A dropped connection is retried (each record counts the
retries it needed); a device that fails gets an error record and the others carry on; every
record holds the facts of its device. Python targets send back every frame's latency (records
keep them for histograms); trtexec and benchmark_model print aggregates only, so their records
keep percentiles alone.
"""

from __future__ import annotations

import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stylelite.benchmark.records import BenchRecord, implausible, record_json_line
from stylelite.device_tests.inventory import DeviceSpec
from stylelite.device_tests.targets import open_target
from stylelite.device_tests.targets.python_target import PythonTarget
from stylelite.runtime.errors import ConfigError, DeviceError, StyleliteError


@dataclass
class HostSide:
    """What the host computes once for all devices."""

    clip: Path
    frames: list[np.ndarray]
    flows: object  # stylelite.runtime.flow.ClipFlows
    floor: float
    floor_per_frame: list[float]
    outputs: dict[str, list[np.ndarray]]  # artifact -> host-stylized frames (parity reference)
    reference: str | None


def prepare_host(
    models: list[Path], clip: str | Path, reference: str | Path | None, max_frames: int | None
) -> HostSide:
    """Read the clip, compute its flow and floor, and stylize it with every artifact the host can run."""
    from stylelite.runtime.engines import load_engine
    from stylelite.runtime.flicker import warping_error
    from stylelite.runtime.flow import ClipFlows
    from stylelite.runtime.video import read_video

    frames, _ = read_video(clip, max_frames)
    if len(frames) < 2:
        raise ConfigError(f"{Path(clip).name} has {len(frames)} frame(s); flicker needs at least 2")
    flows = ClipFlows(frames)
    floor = warping_error(frames, flows)
    outputs = {}
    for path in [*models, *([Path(reference)] if reference else [])]:
        if str(path) in outputs:
            continue
        try:
            engine = load_engine(path)
        except StyleliteError:
            continue  # a format the host cannot run (e.g. .tflite without LiteRT): no parity for it
        outputs[str(path)] = [engine.stylize(f) for f in frames]
    return HostSide(
        Path(clip), frames, flows, floor.mean, floor.per_frame, outputs, str(reference) if reference else None
    )


def _psnr_mean(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    from stylelite.runtime.metrics import psnr

    return float(np.mean([min(psnr(x, y), 99.0) for x, y in zip(a, b)]))


def _base_record(path: Path, host: HostSide, facts: dict, threads: int, **kw) -> BenchRecord:
    h, w = host.frames[0].shape[:2]
    fields = dict(
        model=path.stem,
        artifact=str(path),
        format=path.suffix.lstrip("."),
        precision="fp32",
        engine="-",
        size_mb=path.stat().st_size / 1e6 if path.is_file() else 0.0,
        params=None,
        gmacs_256=None,
        width=w,
        height=h,
        threads=threads,
        frames=len(host.frames),
        latency_ms={},
        fps=0.0,
        peak_rss_mb=0.0,
        model_memory_mb=0.0,
        flicker=None,
        flicker_floor=host.floor,
        flicker_per_frame=[],
        device=facts,
        timestamp=time.time(),
        emulated=bool(facts.get("emulated")),
    )
    fields.update(kw)
    return BenchRecord(**fields)


def _score(rec: BenchRecord, outs: list[np.ndarray], host: HostSide) -> None:
    from stylelite.runtime.flicker import warping_error

    flick = warping_error(outs, host.flows)
    rec.flicker, rec.flicker_per_frame = flick.mean, flick.per_frame
    if rec.artifact in host.outputs:
        rec.parity_psnr_db = _psnr_mean(outs, host.outputs[rec.artifact])
    if host.reference and host.reference in host.outputs:
        from stylelite.runtime.metrics import ssim

        rec.reference = host.reference
        rec.fidelity_psnr_db = _psnr_mean(outs, host.outputs[host.reference])
        rec.fidelity_ssim = ssim(np.stack(outs), np.stack(host.outputs[host.reference]))


def _bench_python_target(target: PythonTarget, path: Path, host: HostSide, facts: dict, warmup: int, iters: int):
    spec = target.spec
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        frames_npy, out_npy = Path(tmp) / "frames.npy", Path(tmp) / "out.npy"
        np.save(frames_npy, np.stack(host.frames))
        res = target.bench_artifact(path, frames_npy, out_npy, warmup, iters)
        outs = list(np.load(out_npy))
    rec = _base_record(
        path,
        host,
        facts,
        spec.threads,
        model=res["model"],
        precision=res["precision"],
        engine=res["engine"],
        params=res.get("params"),
        gmacs_256=res.get("gmacs_256"),
        latency_ms=res["latency_ms"],
        latency_samples_ms=res.get("latency_samples_ms", []),
        fps=res["fps"],
        peak_rss_mb=res["peak_rss_mb"],
        model_memory_mb=res["model_memory_mb"],
        runtime_memory_mb=res["runtime_memory_mb"],
    )
    _score(rec, outs, host)
    records.append(rec)
    if "tensorrt" in spec.engines and target.has_command(spec.trtexec):
        records.append(_bench_trtexec(target, path, res, host, facts))
    return records


def _bench_trtexec(target: PythonTarget, path: Path, res: dict, host: HostSide, facts: dict) -> BenchRecord:
    import onnxruntime as ort

    from stylelite.device_tests.targets.trtexec import parse_trtexec, trtexec_argv
    from stylelite.runtime.engines import load_engine

    engine = load_engine(path)
    shape = engine.preprocess(host.frames[0])[0].shape
    input_name = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).get_inputs()[0].name
    remote = res["remote_artifact"]
    argv = trtexec_argv(
        target.spec.trtexec, remote, remote + ".engine", input_name, shape, fp16=engine.meta.precision == "fp16"
    )
    out = target.check(target.run(argv), "trtexec")
    trt = parse_trtexec(out.stdout + "\n" + out.stderr)
    return _base_record(
        path,
        host,
        facts,
        target.spec.threads,
        model=res["model"],
        precision=res["precision"],
        engine="tensorrt",
        latency_ms=trt["latency_ms"],
        fps=trt["fps"],
        status="ok (latency only)",
    )


def _bench_adb_target(target, path: Path, host: HostSide, facts: dict, warmup: int, iters: int, flicker: bool = True):
    records = []
    for delegate in target.spec.delegates:
        res = target.benchmark(path, delegate, runs=max(iters, 1), warmup=warmup)
        peak = res.get("peak_memory_mb") or res.get("memory_delta_mb") or {}
        rec = _base_record(
            path,
            host,
            facts,
            target.spec.threads,
            engine=f"litert-{delegate}",
            latency_ms=res["latency_ms"],
            fps=res["fps"],
            model_memory_mb=float(peak.get("overall", 0.0)),
            peak_rss_mb=float(peak.get("overall", 0.0)),
        )
        records.append(rec)
    if records and flicker:
        _adb_flicker(target, path, host, records[0])
    return records


def _adb_flicker(target, path: Path, host: HostSide, rec: BenchRecord) -> None:
    """Flicker and parity on the phone: needs the artifact's metadata, read on the host by its engine.

    When the phone cannot give the outputs back (e.g. a benchmark_model build without
    `--output_filepath`), the latency stands and the status says why flicker is missing.
    """
    from stylelite.runtime.engines import load_engine
    from stylelite.runtime.frames import from_model_output, to_model_input

    try:
        meta = load_engine(path).meta
    except StyleliteError as exc:
        rec.status = f"ok (no flicker: the host cannot read {path.suffix} metadata: {exc})"
        return
    xs = [to_model_input(f, meta)[0] for f in host.frames]  # [1,3,H,W] each
    nhwc = meta.layout == "NHWC"
    batch = np.concatenate([x.transpose(0, 2, 3, 1) if nhwc else x for x in xs])
    try:
        raw = target.stylize_frames(path, batch, delegate=target.spec.delegates[0])
    except DeviceError as exc:
        rec.status = f"ok (no flicker: {exc})"
        return
    h, w = host.frames[0].shape[:2]
    outs = []
    for x, y in zip(xs, raw):
        _, c, ph, pw = x.shape
        if y.size != 3 * ph * pw:
            rec.status = f"ok (no flicker: the phone returned {y.size} output values per frame, not 3x{ph}x{pw})"
            return
        y = y.reshape(1, ph, pw, 3).transpose(0, 3, 1, 2) if nhwc else y.reshape(1, 3, ph, pw)
        outs.append(from_model_output(y, meta)[0, :h, :w])
    _score(rec, outs, host)


def _score_efficiency(target, records: list[BenchRecord], host: HostSide, facts: dict, warmup: int, iters: int):
    """Each measured record's achieved GMAC/s and its share of the dense-conv ceiling, which the target
    measures now, with the same engine (and delegate), from the reference of the record's format and precision."""
    from stylelite.benchmark.ceiling import achieved_gmacs_per_s
    from stylelite.runtime.engines import load_engine
    from stylelite.runtime.reference import reference_artifact

    ceilings: dict[tuple[str, str, str], float | None] = {}
    h, w = host.frames[0].shape[:2]

    def gmacs_per_s(rec: BenchRecord, path: Path) -> float | None:
        try:
            meta = load_engine(path).meta  # the MAC count lives in the metadata, read on the host
        except StyleliteError:
            return None
        p50 = rec.latency_ms.get("p50") if isinstance(rec.latency_ms, dict) else None
        return achieved_gmacs_per_s(meta.gmacs_256, meta.width or w, meta.height or h, p50)

    for rec in records:
        if not rec.status.startswith("ok"):
            continue
        rec.gmacs_per_s = gmacs_per_s(rec, Path(rec.artifact))
        if rec.gmacs_per_s is None:
            continue
        key = (rec.format, rec.precision, rec.engine)
        if key not in ceilings:
            ceilings[key] = None
            ref = reference_artifact(f".{rec.format}", rec.precision)
            try:
                if ref is not None:
                    if not isinstance(target, PythonTarget):  # latency only: the reference's outputs mean nothing
                        ref_recs = _bench_adb_target(target, ref, host, facts, warmup, iters, flicker=False)
                    else:
                        ref_recs = _bench_python_target(target, ref, host, facts, warmup, iters)
                    for ref_rec in ref_recs:
                        if ref_rec.engine == rec.engine and ref_rec.status.startswith("ok"):
                            ceilings[key] = gmacs_per_s(ref_rec, ref)
            except StyleliteError:
                pass  # no ceiling on this device: the records keep their own figures
        if ceilings[key]:
            rec.ceiling_gmacs_per_s = ceilings[key]
            rec.ceiling_ratio = rec.gmacs_per_s / ceilings[key]


_FIGURES = (  # the single-number figures of a record
    "fps", "size_mb", "peak_rss_mb", "model_memory_mb", "runtime_memory_mb", "flicker", "flicker_floor",
    "parity_psnr_db", "fidelity_psnr_db", "fidelity_ssim", "fidelity_color_de", "tof", "tof_floor",
)  # fmt: skip


def _sanity_check(rec: BenchRecord, device: str) -> None:
    """A record whose figures cannot be right (a negative or infinite latency, 0 fps) becomes an error record;
    the figures that are not finite numbers are cleared so that its JSON line stays strictly valid."""
    why = implausible(rec)
    if why is None:
        return
    rec.status = f"error: implausible measurement from {device}: {why}"
    rec.latency_ms = {k: v for k, v in rec.latency_ms.items() if _finite(v)}
    rec.extra_latency = {}
    rec.latency_samples_ms = [v for v in rec.latency_samples_ms if _finite(v)]
    rec.flicker_per_frame = [v for v in rec.flicker_per_frame if _finite(v)]
    for name in _FIGURES:
        if not _finite(getattr(rec, name)):
            setattr(rec, name, 0.0 if name == "fps" else None)


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v)


def _append_record(path: str | Path, rec: BenchRecord) -> None:
    """Append the record as one strictly valid JSON line."""
    line = record_json_line(rec)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(line + "\n")


def bench_on_device(
    spec: DeviceSpec, models: list[Path], host: HostSide, warmup: int = 2, iters: int = 20, on_record=None
) -> list[BenchRecord]:
    """Every model on one device; failures become error records (the rest carry on)."""
    target = open_target(spec)
    records: list[BenchRecord] = []
    counted = 0  # retries already given to earlier records

    def keep(rec: BenchRecord) -> None:
        nonlocal counted
        rec.retries, counted = target.retries_used - counted, target.retries_used
        _sanity_check(rec, spec.name)
        records.append(rec)
        if on_record:
            on_record(rec)

    try:
        facts = {"device": spec.name, "kind": spec.kind}
        try:
            facts = {**target.facts(), "device": spec.name, "kind": spec.kind}
        except DeviceError as exc:
            for path in models:
                keep(_base_record(path, host, facts, spec.threads, status=f"error: {exc}"))
            return records
        for path in models:
            try:
                formats = getattr(target, "formats", (".tflite",))  # benchmark_model on a phone: .tflite
                if path.suffix not in formats:
                    runs = f"skipped: {spec.kind} runs {' and '.join(formats)} files"
                    keep(_base_record(path, host, facts, spec.threads, status=runs))
                    continue
                if isinstance(target, PythonTarget):
                    new = _bench_python_target(target, path, host, facts, warmup, iters)
                else:
                    new = _bench_adb_target(target, path, host, facts, warmup, iters)
                for rec in new:
                    keep(rec)
            except DeviceError as exc:
                keep(_base_record(path, host, facts, spec.threads, status=f"error: {exc}"))
        if not spec.emulated:  # an emulator's GMAC/s says nothing about the board's ceiling
            _score_efficiency(target, records, host, facts, warmup, iters)
    finally:
        close = getattr(target, "close", None)
        if close:
            close()
    return records


def bench_devices(
    models: list[str | Path],
    clip: str | Path,
    devices: list[DeviceSpec],
    reference: str | Path | None = None,
    warmup: int = 2,
    iters: int = 20,
    max_frames: int | None = None,
    out: str | Path | None = None,
) -> tuple[list[BenchRecord], HostSide]:
    """Benchmark `models` on each device in parallel; records in device order (JSON lines appended as they come)."""
    if not models:
        raise ConfigError("give at least one model file to benchmark")
    if not devices:
        raise ConfigError("no devices selected")
    paths = [Path(m) for m in models]
    for p in paths:
        if not p.is_file():
            raise ConfigError(f"model file not found: {p}")
    host = prepare_host(paths, clip, reference, max_frames)
    lock = threading.Lock()

    def on_record(rec: BenchRecord) -> None:
        if out:
            with lock:
                _append_record(out, rec)

    with ThreadPoolExecutor(max_workers=min(len(devices), 8)) as pool:
        futures = [pool.submit(bench_on_device, d, paths, host, warmup, iters, on_record) for d in devices]
        results = [f.result() for f in futures]
    return [r for recs in results for r in recs], host
