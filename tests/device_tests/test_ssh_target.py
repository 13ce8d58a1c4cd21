"""The ssh target against a real OpenSSH server on 127.0.0.1 (throwaway host and user keys).

CI installs Debian's openssh-server (.ci/run); where sshd is missing these tests skip.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stylelite.device_tests.inventory import load_inventory
from stylelite.device_tests.targets import open_target
from stylelite.runtime.errors import DeviceError
from tests.conftest import run_cli
from tests.device_tests.ssh_proxy import CuttingProxy

SSHD = "/usr/sbin/sshd"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    if not Path(SSHD).exists() or not shutil.which("ssh") or not shutil.which("ssh-keygen"):
        pytest.skip("OpenSSH server not installed (apt-get install openssh-server; CI installs it)")
    if os.geteuid() != 0:
        pytest.skip("the loopback sshd test runs as root (as CI does)")
    d = tmp_path_factory.mktemp("sshd")
    _keygen(d / "host_key")
    _keygen(d / "user_key")
    shutil.copy(d / "user_key.pub", d / "authorized_keys")
    port = _free_port()
    Path("/run/sshd").mkdir(parents=True, exist_ok=True)  # sshd's privilege-separation directory
    cfg = d / "sshd_config"
    cfg.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {d / 'host_key'}\nPidFile {d / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {d / 'authorized_keys'}\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "PubkeyAuthentication yes\nPermitRootLogin prohibit-password\nUsePAM no\nStrictModes no\n"
        "Subsystem sftp /usr/lib/openssh/sftp-server\nLogLevel ERROR\n"
    )
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(cfg)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.time() + 10
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"sshd exited: {proc.stdout.read().decode()[-500:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    host_pub = (d / "host_key.pub").read_text().split()
    (d / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_pub[0]} {host_pub[1]}\n")
    (d / "empty_known_hosts").write_text("")
    # the credential lives in the user's SSH config, never in the inventory
    (d / "ssh_config").write_text(f"Host 127.0.0.1\n  IdentityFile {d / 'user_key'}\n  IdentitiesOnly yes\n")
    inv = d / "devices.toml"
    inv.write_text(
        f"""
[devices.board]
kind = "ssh"
address = "127.0.0.1"
port = {port}
user = "root"
python = "{sys.executable}"
threads = 1
known_hosts = "{d / "known_hosts"}"
ssh_config = "{d / "ssh_config"}"

[devices.stranger]
kind = "ssh"
address = "127.0.0.1"
port = {port}
user = "root"
python = "{sys.executable}"
retries = 0
known_hosts = "{d / "empty_known_hosts"}"
ssh_config = "{d / "ssh_config"}"
"""
    )
    yield {"dir": d, "port": port, "inventory": inv}
    proc.terminate()
    proc.wait(timeout=10)


def test_ssh_target_runs_quoted_commands_and_copies_files(sshd, tmp_path):
    spec = load_inventory(sshd["inventory"])["board"]
    target = open_target(spec)
    odd = "it's a $HOME; rm -rf / `x`"  # reaches the board as one literal argument
    res = target.run(["printf", "%s", odd])
    assert res.returncode == 0 and res.stdout == odd
    wd = target.make_workdir()
    try:
        src = tmp_path / "a.bin"
        src.write_bytes(os.urandom(1000))
        target.push(src, f"{wd}/a.bin")
        target.pull(f"{wd}/a.bin", tmp_path / "b.bin")
        assert (tmp_path / "b.bin").read_bytes() == src.read_bytes()
    finally:
        target.remove_workdir(wd)


def test_unknown_host_key_is_refused_in_one_line(sshd):
    target = open_target(load_inventory(sshd["inventory"])["stranger"])
    with pytest.raises(DeviceError, match="host key of 127.0.0.1:.* is not in .*empty_known_hosts"):
        target.run(["true"])


def test_bench_through_ssh_end_to_end(sshd, student_onnx, clip_path, tmp_path):
    out = tmp_path / "bench.jsonl"
    proc = run_cli(
        "bench", str(student_onnx), "--clip", str(clip_path), "--iters", "8",
        "--device", "board,stranger", "--devices", str(sshd["inventory"]), "--out", str(out),
    )  # fmt: skip
    print(proc.stdout)
    assert proc.returncode == 1, proc.stderr  # one device refused: partial results, non-zero exit
    recs = {r["device"]["device"]: r for r in map(json.loads, out.read_text().splitlines())}
    board = recs["board"]
    assert board["status"] == "ok" and board["device"]["kind"] == "ssh"
    assert board["device"]["python"] and board["device"]["onnxruntime"]  # facts read on the board
    assert board["latency_ms"]["p90"] > 0 and board["fps"] > 0 and board["flicker"] > 0
    assert board["parity_psnr_db"] > 40  # the board's outputs match the host's
    assert len(board["latency_samples_ms"]) == board["latency_ms"]["n"] and board["retries"] == 0
    assert recs["stranger"]["status"].startswith("error:") and "host key" in recs["stranger"]["status"]
    assert "board" in proc.stdout and "stranger" in proc.stdout


def _device(name: str, port: int, known_hosts: Path, ssh_config: Path) -> str:
    return (
        f'[devices.{name}]\nkind = "ssh"\naddress = "127.0.0.1"\nport = {port}\nuser = "root"\n'
        f'python = "{sys.executable}"\nthreads = 1\nretries = 2\nconnect_timeout = 5\n'
        f'known_hosts = "{known_hosts}"\nssh_config = "{ssh_config}"\n\n'
    )


def test_dropped_connections_are_retried_and_a_dead_link_ends_in_an_error_record(
    sshd, student_onnx, clip_path, tmp_path
):
    """Two proxies in front of the real sshd: one cuts its first 2 connections mid-handshake, one cuts all."""
    host_key = " ".join((sshd["dir"] / "host_key.pub").read_text().split()[:2])
    out = tmp_path / "bench.jsonl"
    with CuttingProxy(sshd["port"], cut_first=2) as flaky, CuttingProxy(sshd["port"], cut_first=None) as dead:
        known_hosts = tmp_path / "known_hosts"
        known_hosts.write_text(f"[127.0.0.1]:{flaky.port} {host_key}\n[127.0.0.1]:{dead.port} {host_key}\n")
        inv = tmp_path / "devices.toml"
        inv.write_text(
            _device("flaky", flaky.port, known_hosts, sshd["dir"] / "ssh_config")
            + _device("dead", dead.port, known_hosts, sshd["dir"] / "ssh_config")
        )
        t0 = time.monotonic()
        proc = run_cli(
            "bench", str(student_onnx), "--clip", str(clip_path), "--iters", "8",
            "--device", "flaky,dead", "--devices", str(inv), "--out", str(out), timeout=120,
        )  # fmt: skip
        seconds = time.monotonic() - t0
    print(proc.stdout, f"\n{seconds:.1f} s; flaky: {flaky.cut} cut of {flaky.accepted}; dead: {dead.cut} cut")
    assert proc.returncode == 1, proc.stderr  # one device lost: partial results, non-zero exit
    recs = {r["device"]["device"]: r for r in map(json.loads, out.read_text().splitlines())}
    ok = recs["flaky"]
    assert ok["status"] == "ok" and ok["retries"] == 2 and flaky.cut == 2 and flaky.accepted > 2
    assert ok["parity_psnr_db"] > 40 and ok["flicker"] > 0 and len(ok["latency_samples_ms"]) == 8
    lost = recs["dead"]
    assert lost["status"].startswith(f"error: dead: connection to 127.0.0.1:{dead.port} failed")
    assert "gave up after 3 attempts" in lost["status"] and lost["retries"] == 2 and dead.cut == dead.accepted == 3
    assert "flaky" in proc.stdout and "dead" in proc.stdout
    assert seconds < 30
