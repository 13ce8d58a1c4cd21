"""Facts about the machine a measurement ran on, recorded with every result."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def local_facts() -> dict:
    """OS, machine, CPU model, cores, Python and onnxruntime versions of this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    facts = {
        "device": "local",
        "kind": "local",
        "os": f"{platform.system()} {platform.release()}",
        "machine": platform.machine(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
    }
    try:
        import onnxruntime

        facts["onnxruntime"] = onnxruntime.__version__
    except ImportError:
        pass
    return facts


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text(errors="replace").replace("\x00", "").strip() or None
    except OSError:
        return None


def board_facts() -> dict:
    """Board model, JetPack/L4T release and power mode where the board says so (Jetson-class Linux)."""
    import re
    import shutil
    import subprocess

    facts: dict = {}
    model = _read("/proc/device-tree/model")
    if model:
        facts["board"] = model
    l4t = _read("/etc/nv_tegra_release")  # "# R35 (release), REVISION: 4.1, ..."
    if l4t:
        m = re.search(r"R(\d+)\s*\(release\),\s*REVISION:\s*([\d.]+)", l4t)
        facts["l4t"] = f"{m.group(1)}.{m.group(2)}" if m else l4t.splitlines()[0][:80]
    if shutil.which("nvpmodel"):
        try:
            out = subprocess.run(["nvpmodel", "-q"], capture_output=True, text=True, timeout=10).stdout
            m = re.search(r"NV Power Mode:\s*(\S+)", out)
            if m:
                facts["power_mode"] = m.group(1)
        except (OSError, subprocess.SubprocessError):
            pass
    if shutil.which("dpkg-query"):
        try:
            out = subprocess.run(
                ["dpkg-query", "-W", "-f=${Version}", "nvidia-jetpack"], capture_output=True, text=True, timeout=10
            )
            if out.returncode == 0 and out.stdout.strip():
                facts["jetpack"] = out.stdout.strip()
        except (OSError, subprocess.SubprocessError):
            pass
    return facts
