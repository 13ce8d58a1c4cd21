"""The `ssh` target: a Linux board (Jetson class) reached with the system OpenSSH client.

Host keys are checked (`StrictHostKeyChecking=yes` against the inventory's known_hosts file or
the user's); `BatchMode=yes` means no prompts, so credentials come from the SSH agent or SSH
config only. Remote commands are argument lists joined with shlex quoting; nothing a user
typed is pasted into a shell unquoted.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from stylelite.device_tests.inventory import DeviceSpec
from stylelite.device_tests.targets.base import CommandResult, ConnectionDropped, run_local, with_retries
from stylelite.device_tests.targets.python_target import PythonTarget
from stylelite.runtime.errors import ConfigError, DeviceError

_LINK_FAILURE = re.compile(r"host key|Permission denied|Connection|resolve|lost connection", re.I)


class SshTarget(PythonTarget):
    kind = "ssh"

    def __init__(self, spec: DeviceSpec) -> None:
        super().__init__(spec)
        for field_name in ("address", "user"):
            value = getattr(spec, field_name)
            if value.startswith("-") or any(c.isspace() for c in value) or "@" in value:
                raise ConfigError(f"device {spec.name!r}: {field_name} {value!r} is not a valid host/user name")

    # -- the ssh and scp command lines -------------------------------------------------------
    def _options(self) -> list[str]:
        opts = []
        if self.spec.ssh_config:
            opts += ["-F", self.spec.ssh_config]
        opts += ["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes"]
        opts += ["-o", f"ConnectTimeout={self.spec.connect_timeout}", "-o", "ServerAliveInterval=15"]
        if self.spec.known_hosts:
            opts += ["-o", f"UserKnownHostsFile={self.spec.known_hosts}"]
        return opts

    def _host(self) -> str:
        return f"{self.spec.user}@{self.spec.address}" if self.spec.user else self.spec.address

    def _scp_host(self) -> str:
        addr = f"[{self.spec.address}]" if ":" in self.spec.address else self.spec.address
        return f"{self.spec.user}@{addr}" if self.spec.user else addr

    def ssh_argv(self, argv: list[str], env: dict[str, str] | None = None) -> list[str]:
        """The local argument list that runs `argv` on the board (each remote argument quoted)."""
        prefix = ["env", *(f"{k}={v}" for k, v in env.items())] if env else []
        remote = shlex.join(prefix + [str(a) for a in argv])
        return ["ssh", *self._options(), "-p", str(self.spec.port), "--", self._host(), remote]

    def _explain(self, res: CommandResult) -> None:
        """Raise the error an ssh/scp failure means: fixable ones as DeviceError, drops as ConnectionDropped."""
        err = res.stderr
        where = f"{self.spec.address}:{self.spec.port}"
        kh = self.spec.known_hosts or "~/.ssh/known_hosts"
        if "REMOTE HOST IDENTIFICATION HAS CHANGED" in err:
            raise DeviceError(
                f"{self.name}: the host key of {where} does not match {kh}; if the board was reinstalled, "
                "check its new fingerprint and replace the old line"
            )
        if "Host key verification failed" in err or re.search(r"No \S+ host key is known", err):
            raise DeviceError(
                f"{self.name}: the host key of {where} is not in {kh}; check its fingerprint and add it "
                f"(ssh-keyscan -p {self.spec.port} {self.spec.address} >> {kh})"
            )
        if "Permission denied" in err:
            raise DeviceError(
                f"{self.name}: {where} refused the login; load a key into your SSH agent (ssh-add) or name it "
                "in your SSH config"
            )
        if "Could not resolve hostname" in err:
            raise DeviceError(f"{self.name}: cannot resolve {self.spec.address}; fix `address` in the inventory")
        raise ConnectionDropped(f"connection to {where} failed: {res.last_line()}")

    def _call(self, argv: list[str], timeout_s: float, is_scp: bool = False) -> CommandResult:
        def once() -> CommandResult:
            res = run_local(argv, timeout_s)
            if res.returncode == 255 or (is_scp and res.returncode != 0 and _LINK_FAILURE.search(res.stderr)):
                self._explain(res)
            return res

        return with_retries(once, self.spec.retries, self.name, on_retry=self.count_retry)

    # -- the target interface ----------------------------------------------------------------
    def run(self, argv: list[str], timeout_s: float | None = None, env: dict[str, str] | None = None) -> CommandResult:
        return self._call(
            self.ssh_argv(argv, env),
            timeout_s or self.spec.timeout_s,
        )

    def _scp(self, src: str, dst: str, what: str) -> None:
        argv = ["scp", "-q", "-B", *self._options(), "-P", str(self.spec.port), "--", src, dst]
        res = self._call(argv, self.spec.timeout_s, is_scp=True)
        self.check(res, what)

    def push(self, local: str | Path, remote: str) -> None:
        self._scp(str(local), f"{self._scp_host()}:{remote}", f"copying {Path(local).name} to the board")

    def pull(self, remote: str, local: str | Path) -> None:
        Path(local).parent.mkdir(parents=True, exist_ok=True)
        self._scp(f"{self._scp_host()}:{remote}", str(local), f"copying {Path(remote).name} from the board")

    def make_workdir(self) -> str:
        res = self.check(self.run(["mktemp", "-d", f"{self.spec.workdir}/stylelite-XXXXXXXX"]), "mktemp")
        return res.stdout.strip().splitlines()[-1]
