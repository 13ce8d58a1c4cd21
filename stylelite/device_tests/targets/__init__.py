"""Targets behind one interface (push, run with a timeout, pull, facts), one kind per file."""

from __future__ import annotations

from stylelite.device_tests.inventory import DeviceSpec
from stylelite.device_tests.targets.base import CommandResult, ConnectionDropped, Target
from stylelite.runtime.registry import Registry

TARGETS: Registry = Registry("target kind")


def _local(spec):
    from stylelite.device_tests.targets.local import LocalTarget

    return LocalTarget(spec)


def _ssh(spec):
    from stylelite.device_tests.targets.ssh import SshTarget

    return SshTarget(spec)


def _adb(spec):
    if not spec.benchmark_model:  # the phone's Python with LiteRT's interpreter runs the runner bundle
        from stylelite.device_tests.targets.adb_python import AdbPythonTarget

        return AdbPythonTarget(spec)
    from stylelite.device_tests.targets.adb import AdbTarget

    return AdbTarget(spec)


def _qemu(spec):
    from stylelite.device_tests.targets.qemu import QemuTarget

    return QemuTarget(spec)


TARGETS.add("local", _local)
TARGETS.add("ssh", _ssh)
TARGETS.add("adb", _adb)
TARGETS.add("qemu", _qemu)


def open_target(spec: DeviceSpec) -> Target:
    """The target for an inventory entry."""
    return TARGETS.get(spec.kind)(spec)


__all__ = ["CommandResult", "ConnectionDropped", "Target", "TARGETS", "open_target"]
