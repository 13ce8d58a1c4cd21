"""`stylelite emulate arm64`: an aarch64 board on this machine, for CI (Debian's packages and PyPI only).

The board is a Debian bookworm arm64 tree run by qemu's user-mode emulator:

    mmdebstrap --arch=arm64 --variant=extract --include=python3,... bookworm TREE
    pip install --target TREE/usr/local/lib/python3.11/dist-packages --platform manylinux..._aarch64 \\
        --python-version 3.11 --implementation cp --only-binary=:all: onnxruntime numpy ai-edge-litert ...
    qemu-aarch64-static -L TREE TREE/usr/bin/python3.11 -m stylelite.device_tests.remote_runner ...

The tree also gets an aarch64 `/proc/cpuinfo` (TREE/proc/cpuinfo; qemu's -L finds it there first). Without
it, qemu 7.2 (Debian 12) shows the guest this machine's x86 /proc/cpuinfo, onnxruntime's CPU probe
(pytorch/cpuinfo) finds no ARM processor in it and onnxruntime >= 1.2x segfaults on import; qemu >= 8.1
writes an ARM /proc/cpuinfo itself. The tree is built once into a cache folder and reused.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from stylelite.runtime.errors import ConfigError, DeviceError, StyleliteError
from stylelite.runtime.files import check_writable_folder, read_toml, write_error, write_text_atomic

RECIPE = "bookworm-py311-v1"  # the cache folder's name: change it when the recipe below changes
SUITE = "bookworm"
PYTHON = "/usr/bin/python3.11"  # on the board
SITE = "usr/local/lib/python3.11/dist-packages"  # in the tree: Debian's python3.11 reads it, as pip on a board
DEB_PACKAGES = ("python3", "python3-venv", "libpython3.11", "libstdc++6", "libgomp1", "ca-certificates")
WHEELS = ("onnxruntime", "numpy", "ai-edge-litert", "opencv-python-headless")  # what the runner imports
# manylinux tags bookworm's glibc 2.36 runs: pip matches --platform tags exactly (ai-edge-litert is _2_27)
PLATFORMS = ("manylinux2014_aarch64", *(f"manylinux_2_{v}_aarch64" for v in (17, 24, 26, 27, 28, 31, 34, 35, 36)))
CPU = "neoverse-n1"  # qemu's -cpu: Armv8.2 with dot product and fp16 (the int8 and fp16 kernels' level)
# a Neoverse-N1 as Linux prints it (MIDR 0x414fd0c1, qemu's neoverse-n1); one block per host core
_CPUINFO = (
    "processor\t: {i}\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp "
    "asimdhp cpuid asimdrdm lrcpc dcpop asimddp ssbs\nCPU implementer\t: 0x41\nCPU architecture: 8\n"
    "CPU variant\t: 0x4\nCPU part\t: 0xd0c\nCPU revision\t: 1\n"
)
READY = ".stylelite-board.json"  # written last: a tree without it is unfinished and is built again
APT_HINT = "apt-get install qemu-user-static mmdebstrap"


def default_cache() -> Path:
    """$STYLELITE_ARM64_CACHE, else $XDG_CACHE_HOME/stylelite/arm64 (~/.cache/stylelite/arm64)."""
    if os.environ.get("STYLELITE_ARM64_CACHE"):
        return Path(os.environ["STYLELITE_ARM64_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "stylelite" / "arm64"


def find_qemu(qemu: str = "qemu-aarch64-static") -> str:
    """The emulator's absolute path; DeviceError naming the package when it is missing."""
    if os.sep in qemu and Path(qemu).exists():  # a path the user gave: say what is wrong with it
        if Path(qemu).is_dir():
            raise DeviceError(f"--qemu {qemu} is a folder; give qemu's aarch64 emulator ({APT_HINT})")
        if not os.access(qemu, os.X_OK):
            raise DeviceError(f"--qemu {qemu} is not executable; give qemu's aarch64 emulator ({APT_HINT})")
    found = shutil.which(qemu)
    if not found:
        raise DeviceError(f"{qemu} not found; install it: {APT_HINT}")
    return os.path.abspath(found)  # the inventory is read from other folders


def check_qemu(qemu: str) -> str:
    """`qemu`'s version line ("qemu-aarch64 7.2.22"); DeviceError when it is not qemu's aarch64 emulator."""
    if not re.search(r"qemu-aarch64\S* version \S+", _version_output(qemu)):
        raise DeviceError(f"{qemu} is not qemu's aarch64 user-mode emulator (its --version names no qemu-aarch64)")
    return qemu_version(qemu)


def _version_output(qemu: str) -> str:
    try:
        return subprocess.run([qemu, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError, ValueError):
        return ""


def qemu_version(qemu: str) -> str:
    """ "qemu-aarch64 7.2.22" from `qemu --version`."""
    m = re.search(r"qemu-aarch64\S* version (\S+)", _version_output(qemu))
    return f"qemu-aarch64 {m.group(1)}" if m else "qemu-aarch64 (version unknown)"


def write_cpuinfo(tree: Path, cores: int | None = None) -> None:
    """TREE/proc/cpuinfo: an aarch64 one, so the runtimes' CPU probes see the emulated CPU (see the module doc)."""
    cores = max(1, cores or os.cpu_count() or 1)
    (tree / "proc").mkdir(exist_ok=True)
    text = "\n".join(_CPUINFO.format(i=i) for i in range(cores)) + "\n"
    if not (tree / "proc" / "cpuinfo").is_file() or (tree / "proc" / "cpuinfo").read_text() != text:
        write_text_atomic(tree / "proc" / "cpuinfo", text)


def _run(argv: list[str], what: str, timeout_s: float) -> str:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s)
    except FileNotFoundError:
        raise DeviceError(f"{what}: {argv[0]} not found; install it: {APT_HINT}") from None
    except subprocess.TimeoutExpired:
        raise DeviceError(f"{what} took longer than {timeout_s:.0f} s") from None
    if proc.returncode != 0:
        lines = [ln.strip() for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip()]
        errors = [ln for ln in lines if ln.startswith(("E:", "ERROR"))] or lines or ["no output"]
        raise DeviceError(f"{what} failed (exit {proc.returncode}): {errors[-1][:300]}")
    return proc.stdout


def board_python_argv(tree: Path, qemu: str, cpu: str = CPU) -> list[str]:
    """The argument list that starts the board's Python (append its arguments)."""
    return [qemu, "-L", str(tree), *(["-cpu", cpu] if cpu else []), str(tree) + PYTHON]


_PROBE = (
    "import json, platform, numpy, onnxruntime, cv2, ai_edge_litert\n"
    "from importlib.metadata import version\n"
    "print(json.dumps({'machine': platform.machine(), 'python': platform.python_version(), "
    "'numpy': numpy.__version__, 'onnxruntime': onnxruntime.__version__, "
    "'ai_edge_litert': version('ai-edge-litert'), 'opencv': cv2.__version__}))"
)


def probe_board(tree: Path, qemu: str, cpu: str = CPU) -> dict:
    """What the board's Python imports (machine, versions); DeviceError when a runtime fails to load there."""
    out = _run([*board_python_argv(tree, qemu, cpu), "-c", _PROBE], "importing the runtimes on the arm64 board", 300)
    return json.loads(out.strip().splitlines()[-1])


def prepare_tree(cache: str | Path | None = None, qemu: str = "qemu-aarch64-static", progress=None) -> Path:
    """The aarch64 tree in `cache` (default: `default_cache()`): reused when it is complete, else built.

    Building takes seconds for the Debian packages (mmdebstrap) and about a minute for the wheels;
    it goes into a temporary folder beside the final one and is renamed into place when it imports.
    """
    say = progress or (lambda _msg: None)
    cache = (Path(cache).expanduser() if cache else default_cache()).absolute()  # the inventory names it
    tree = cache / RECIPE
    qemu = find_qemu(qemu)
    if cache.exists() and not cache.is_dir():
        raise ConfigError(f"--cache {cache} is a file: give a folder for the arm64 board's tree")
    missing = tree_missing(tree)
    if missing is None:
        write_cpuinfo(tree)  # this machine's core count
        return tree
    if (tree / READY).is_file():
        say(f"arm64: the tree in {tree} lacks {missing} (damaged or edited): building it again")
    if not shutil.which("mmdebstrap"):
        raise DeviceError(f"mmdebstrap not found (it builds the arm64 tree); install it: {APT_HINT}")
    check_writable_folder(cache, tree)
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(exc, cache) from None
    with _build_lock(cache):
        if tree_missing(tree) is None:  # another emulate finished it while this one waited
            return tree
        for stale in cache.glob(f".{RECIPE}-*"):  # what a killed build left (the lock says none is running)
            shutil.rmtree(stale, ignore_errors=True)
        _build(tree, cache, qemu, say)
    return tree


def tree_missing(tree: Path) -> str | None:
    """What a finished tree lacks (its ready marker, the board's Python, a runtime in its site folder), or None."""
    needed = [READY, PYTHON.lstrip("/"), *(f"{SITE}/{m}" for m in _MODULES)]
    return next((n for n in needed if not (tree / n).exists()), None)


_MODULES = ("onnxruntime", "numpy", "cv2", "ai_edge_litert")  # the import names of WHEELS


@contextlib.contextmanager
def _build_lock(cache: Path):
    """One build of a cache at a time: a second one is refused at once (never a silent wait of minutes)."""
    import fcntl

    with open(cache / ".build.lock", "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise DeviceError(f"another stylelite emulate is building the arm64 tree in {cache}: wait for it") from None
        yield


def _build(tree: Path, cache: Path, qemu: str, say) -> None:
    work = Path(tempfile.mkdtemp(prefix=f".{RECIPE}-", dir=cache))
    try:
        new = work / "tree"
        new.mkdir()
        say(f"arm64: Debian {SUITE} packages -> {tree} (mmdebstrap)")
        argv = ["mmdebstrap", "--arch=arm64", "--variant=extract", "--include=" + ",".join(DEB_PACKAGES)]
        _run([*argv, SUITE, str(new)], "mmdebstrap", 900)
        say(f"arm64: aarch64 wheels ({', '.join(WHEELS)}) -> {SITE}")
        pip = [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(new / SITE)]
        pip += [a for p in PLATFORMS for a in ("--platform", p)]
        pip += ["--python-version", "3.11", "--implementation", "cp", "--only-binary=:all:", *WHEELS]
        _run(pip, "pip install of the aarch64 wheels", 1800)
        write_cpuinfo(new)
        facts = probe_board(new, qemu)
        (new / READY).write_text(json.dumps({"recipe": RECIPE, **facts}) + "\n")
        if tree.is_symlink() or tree.is_file():
            tree.unlink()
        elif tree.exists():  # an unfinished tree of an interrupted build, or a damaged one
            shutil.rmtree(tree)
        new.rename(tree)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def board_versions(tree: Path) -> dict:
    """What the tree was built with (the runtimes' versions), from its ready marker."""
    try:
        return json.loads((Path(tree) / READY).read_text())
    except (OSError, ValueError):
        return {}


def device_entry(tree: Path, qemu: str) -> dict:
    """The [devices.NAME] table of the board."""
    return {
        "kind": "qemu",
        "sysroot": str(tree),
        "qemu": qemu,
        "cpu": CPU,
        "python": PYTHON,
        "engines": ["onnxruntime", "litert"],
    }


def _toml_value(v) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return json.dumps(v) if isinstance(v, str) else str(v)


_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def check_inventory(path: str | Path, name: str) -> Path:
    """The file to write [devices.NAME] into (a link's target), checked before anything is built: a folder, a
    device file, an unreadable or invalid TOML, a folder that cannot be written, or a [devices.NAME] of another
    kind (a phone, a board) that the emulated board would replace, each a ConfigError in one line."""
    path = Path(path)
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        raise ConfigError(f"device name {name!r}: use letters, digits, '-' and '_'")
    if path.is_symlink():
        target = path.resolve()
        if not target.is_file():
            raise ConfigError(f"--devices {path} is a link to {target}, which is not a file")
        path = target  # write through the link: the inventory stays shared
    if path.is_dir():
        raise ConfigError(f"--devices {path} is a folder: give the inventory file (devices.toml)")
    if path.exists() and not path.is_file():
        raise ConfigError(f"--devices {path} is not a regular file")
    if path.is_file():
        try:
            path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            why = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else (exc.strerror or str(exc))
            raise ConfigError(f"--devices {path} cannot be read ({why})") from None
        old = read_toml(path, "device inventory", ConfigError).get("devices", {}).get(name)
        if old is not None and (not isinstance(old, dict) or old.get("kind") != "qemu"):
            kind = old.get("kind", "?") if isinstance(old, dict) else type(old).__name__
            raise ConfigError(
                f"{path} already has [devices.{name}] of kind {kind!r}, not an emulated board: pick another --name, "
                "or remove that table yourself"
            )
    try:
        check_writable_folder(path.parent, path)
    except StyleliteError as exc:
        raise ConfigError(str(exc)) from None
    return path


def write_device_entry(path: str | Path, name: str, entry: dict) -> None:
    """Put [devices.NAME] into the inventory TOML at `path`, keeping every other table, line and comment.

    An existing [devices.NAME] table is replaced; the file is written atomically and must parse before
    and after (a file that does not parse is left alone: ConfigError).
    """
    path = Path(path)
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        raise ConfigError(f"device name {name!r}: use letters, digits, '-' and '_'")
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    if old:
        read_toml(path, "device inventory", ConfigError)  # refuse to rewrite a file that does not parse
    kept, skipping = [], False
    for line in old.splitlines():
        m = _HEADER.match(line)
        if m:
            key = m.group(1).replace('"', "").replace(" ", "")
            skipping = key == f"devices.{name}" or key.startswith(f"devices.{name}.")  # its sub-tables too
        if not skipping:
            kept.append(line)
    while kept and not kept[-1].strip():
        kept.pop()
    table = [f"[devices.{name}]  # stylelite emulate arm64", *(f"{k} = {_toml_value(v)}" for k, v in entry.items())]
    text = "\n".join([*kept, *([""] if kept else []), *table]) + "\n"
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # e.g. [devices] name = {inline table}: not ours to rewrite
        raise ConfigError(f"{path}: cannot add [devices.{name}] to it ({exc}); add the table by hand") from None
    try:
        write_text_atomic(path, text)
    except OSError as exc:
        raise write_error(exc, path) from None


def emulate_arm64(
    devices: str | Path = "devices.toml",
    cache: str | Path | None = None,
    name: str = "arm64",
    qemu: str = "qemu-aarch64-static",
    progress=None,
) -> tuple[Path, dict]:
    """Prepare (or reuse) the arm64 board and write [devices.NAME] into the inventory `devices`.

    Returns:
        the tree and what its Python imported there (machine, python, onnxruntime, ai_edge_litert, ...).
    """
    devices = check_inventory(devices, name)  # before a build of minutes
    qemu_path = find_qemu(qemu)
    version = check_qemu(qemu_path)
    tree = prepare_tree(cache, qemu_path, progress)
    write_device_entry(devices, name, device_entry(tree, qemu_path))
    return tree, {**board_versions(tree), "qemu": version}
