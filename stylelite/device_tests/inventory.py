"""The device inventory (`devices.toml`): which targets exist and how to reach them.

Addresses live in this file, never in code; credentials never live here at all (SSH keys come
from the user's agent or SSH config). Example:

    [devices.jetson]
    kind = "ssh"
    address = "jetson.local"
    user = "ubuntu"
    threads = 4
    engines = ["onnxruntime", "tensorrt"]
    python = "python3"
    known_hosts = "~/.ssh/known_hosts"

    [devices.pixel8]
    kind = "adb"
    serial = "38041FDJH00ABC"
    threads = 4
    delegates = ["xnnpack", "gpu", "nnapi"]
    benchmark_model = "~/tools/android_aarch64_benchmark_model"

    [devices.arm64]                 # written by `stylelite emulate arm64`
    kind = "qemu"
    sysroot = "~/.cache/stylelite/arm64/bookworm-py311-v1"
    python = "/usr/bin/python3.11"
    engines = ["onnxruntime", "litert"]

A `local` device (this machine) is always there, even without a file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path

from stylelite.runtime.errors import ConfigError, UnknownNameError
from stylelite.runtime.files import read_toml

KINDS = ("local", "ssh", "adb", "qemu")
ENGINES = ("onnxruntime", "tensorrt", "litert")
DELEGATES = ("cpu", "xnnpack", "gpu", "nnapi")
DEFAULT_INVENTORY = "devices.toml"


@dataclass(frozen=True)
class DeviceSpec:
    """One target in the inventory."""

    name: str
    kind: str = "local"
    address: str = ""  # ssh: host name or IP
    port: int = 22  # ssh
    user: str = ""  # ssh: login name (default: the SSH config's)
    serial: str = ""  # adb: device serial (`adb devices`)
    threads: int = 0  # inference threads (0: the engine's default)
    engines: tuple[str, ...] = ("onnxruntime",)
    delegates: tuple[str, ...] = ("xnnpack",)  # adb: LiteRT delegates to try
    python: str = "python3"  # ssh/local: the interpreter that runs the runner
    workdir: str = "/tmp"  # where a run's scratch folder is made on the target
    known_hosts: str = ""  # ssh: known_hosts file (default: the user's)
    ssh_config: str = ""  # ssh: an SSH config file (-F), e.g. one naming an IdentityFile
    connect_timeout: int = 10  # ssh: seconds
    retries: int = 2  # extra attempts after a dropped connection
    trtexec: str = "trtexec"  # ssh: TensorRT's trtexec on the board (used when it exists there)
    benchmark_model: str = ""  # adb: LiteRT's benchmark_model binary on this machine
    adb: str = "adb"  # adb: the adb client on this machine
    timeout_s: int = 600  # per remote command
    sysroot: str = ""  # qemu: the aarch64 tree (`stylelite emulate arm64` prepares it)
    qemu: str = "qemu-aarch64-static"  # qemu: the user-mode emulator on this machine
    cpu: str = ""  # qemu: the emulated CPU model (qemu's -cpu; empty: qemu's default)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ConfigError(f"device {self.name!r}: kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if self.kind == "ssh" and not self.address:
            raise ConfigError(f'device {self.name!r}: an ssh device needs `address = "host"`')
        if self.kind == "adb" and not self.serial:
            raise ConfigError(f'device {self.name!r}: an adb device needs `serial = "..."` (see `adb devices`)')
        if self.kind == "qemu" and not self.sysroot:
            raise ConfigError(f"device {self.name!r}: a qemu device needs `sysroot` (run: stylelite emulate arm64)")
        if not 1 <= self.port <= 65535:
            raise ConfigError(f"device {self.name!r}: port {self.port} is not a TCP port")
        if self.threads < 0 or self.retries < 0 or self.timeout_s <= 0:
            raise ConfigError(f"device {self.name!r}: threads and retries must be >= 0, timeout_s > 0")
        bad = [e for e in self.engines if e not in ENGINES]
        if bad:
            raise ConfigError(f"device {self.name!r}: unknown engine(s) {bad}; choose from {', '.join(ENGINES)}")
        bad = [d for d in self.delegates if d not in DELEGATES]
        if bad:
            raise ConfigError(f"device {self.name!r}: unknown delegate(s) {bad}; choose from {', '.join(DELEGATES)}")

    @property
    def emulated(self) -> bool:
        """Runs under an emulator (qemu): its outputs are the board's, its timings are not."""
        return self.kind == "qemu"


LOCAL = DeviceSpec(name="local", kind="local")


def _from_dict(name: str, raw: dict) -> DeviceSpec:
    known = {f.name for f in fields(DeviceSpec)}
    secrets = sorted(
        k for k in raw if k in ("password", "identity", "identity_file", "identityfile", "key", "private_key")
    )
    if secrets:
        raise ConfigError(
            f"device {name!r}: {', '.join(secrets)} must not be in the inventory; "
            'use your SSH agent or an SSH config file (ssh_config = "...") instead'
        )
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"device {name!r}: unknown field(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    _check_types(name, raw)
    data = dict(raw)
    for key in ("engines", "delegates"):
        if key in data:
            data[key] = tuple(data[key])
    for key in ("known_hosts", "ssh_config", "benchmark_model", "sysroot"):
        if data.get(key):
            data[key] = os.path.expanduser(data[key])
    return DeviceSpec(name=name, **data)


_LIST_EXAMPLES = {"engines": '["onnxruntime"]', "delegates": '["xnnpack"]'}


def _check_types(name: str, raw: dict) -> None:
    """Refuse a field of the wrong TOML type in one line naming it (`port = "22"`, `engines = "onnxruntime"`)."""
    kinds = {f.name: f.type for f in fields(DeviceSpec)}
    for key, value in raw.items():
        kind = kinds[key]
        where = f"[devices.{name}] {key}"
        if kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
            raise ConfigError(f"{where} must be a whole number, got {value!r:.60}")
        if kind == "str" and not isinstance(value, str):
            raise ConfigError(f"{where} must be a string, got {value!r:.60} (put it in quotes)")
        if kind.startswith("tuple") and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            example = f"{key} = {_LIST_EXAMPLES.get(key, '[...]')}"
            raise ConfigError(f"{where} must be a list of strings (e.g. {example}), got {value!r:.60}")


def load_inventory(path: str | Path | None = None) -> dict[str, DeviceSpec]:
    """Devices by name from a TOML inventory; `local` is always included.

    Without `path`, ./devices.toml is read when it exists.
    """
    if path is None:
        path = Path(DEFAULT_INVENTORY)
        if not path.is_file():
            return {"local": LOCAL}
    raw = read_toml(path, "device inventory", ConfigError)
    devices = {"local": LOCAL}
    tables = raw.get("devices") or {}
    if not isinstance(tables, dict):
        raise ConfigError(f"{path}: `devices` must be tables ([devices.NAME]), got {tables!r:.60}")
    for name, entry in tables.items():
        if not isinstance(entry, dict):
            raise ConfigError(f"{path}: [devices.{name}] must be a table")
        try:
            devices[name] = _from_dict(name, entry)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    return devices


def select_devices(inventory: dict[str, DeviceSpec], names: list[str] | str) -> list[DeviceSpec]:
    """`all`, one name, or several (comma-separated or a list) -> devices, unknown names suggested."""
    if isinstance(names, str):
        names = [n for n in names.split(",") if n]
    if names == ["all"]:
        return list(inventory.values())
    out = []
    for n in names:
        if n not in inventory:
            import difflib

            close = difflib.get_close_matches(n, inventory, n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise UnknownNameError(f"unknown device {n!r}{hint} (inventory: {', '.join(inventory)})")
        out.append(inventory[n])
    return out
