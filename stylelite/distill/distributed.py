"""One training command for one process or many: torchrun / DistributedDataParallel support.

Under `torchrun --nproc-per-node N ...` (which sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and
MASTER_PORT) the context joins the process group (gloo on CPU, nccl on CUDA) and wraps models in
DDP; without those variables it is a no-op single-process context.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field

import torch
from torch import nn

from stylelite.runtime.errors import ConfigError

TORCHRUN_VARS = ("RANK", "WORLD_SIZE", "LOCAL_RANK")


def under_torchrun() -> bool:
    return all(v in os.environ for v in TORCHRUN_VARS)


@dataclass
class DistributedContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    backend: str | None = None  # None: single process

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.backend is not None

    @classmethod
    def from_env(cls, device: str = "auto") -> DistributedContext:
        """Read torchrun's variables; join the process group when there is more than one process."""
        if device == "cuda" and not torch.cuda.is_available():
            raise ConfigError(f"--device cuda: torch {torch.__version__} sees no CUDA device; use --device cpu")
        use_cuda = device == "cuda" or (device == "auto" and torch.cuda.is_available())
        world = int(os.environ.get("WORLD_SIZE", "1")) if under_torchrun() else 1
        rank = int(os.environ.get("RANK", "0")) if world > 1 else 0
        local = int(os.environ.get("LOCAL_RANK", "0")) if world > 1 else 0
        dev = torch.device("cuda", local) if use_cuda else torch.device("cpu")
        if use_cuda:
            torch.cuda.set_device(dev)
        if world == 1:
            return cls(device=dev)
        import torch.distributed as dist

        backend = "nccl" if use_cuda else "gloo"
        if not dist.is_initialized():
            dist.init_process_group(backend, init_method="env://", rank=rank, world_size=world)
        return cls(rank, world, local, dev, backend)

    def wrap(self, module: nn.Module) -> nn.Module:
        """DistributedDataParallel around `module` when distributed (gradients averaged over ranks)."""
        if not self.distributed:
            return module
        from torch.nn.parallel import DistributedDataParallel

        ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(module, device_ids=ids)

    def broadcast(self, obj):
        """Rank 0's `obj` on every rank."""
        if not self.distributed:
            return obj
        import torch.distributed as dist

        box = [obj]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def mean(self, scalars: dict[str, float]) -> dict[str, float]:
        """Average logged scalars over ranks (a collective: every rank calls it at the same step)."""
        if not self.distributed or not scalars:
            return scalars
        import torch.distributed as dist

        keys = sorted(scalars)
        t = torch.tensor([float(scalars[k]) for k in keys], dtype=torch.float64, device=self.device)
        dist.all_reduce(t)
        return {k: v / self.world_size for k, v in zip(keys, t.tolist())}

    def average_gradients(self, modules: list[nn.Module]) -> None:
        """Replace each gradient by its mean over ranks (what DDP does, in one all-reduce after backward:
        a distillation step calls the student several times before one backward, which DDP's hooks do
        not allow). Every rank must hold gradients for the same parameters."""
        if not self.distributed:
            return
        import torch.distributed as dist

        grads = [p.grad for m in modules for p in m.parameters() if p.grad is not None]
        if not grads:
            return
        flat = torch.cat([g.reshape(-1).float() for g in grads])
        dist.all_reduce(flat)
        flat /= self.world_size
        offset = 0
        for g in grads:
            g.copy_(flat[offset : offset + g.numel()].view_as(g))
            offset += g.numel()

    def barrier(self) -> None:
        if self.distributed:
            import torch.distributed as dist

            dist.barrier()

    def close(self) -> None:
        if self.distributed:
            import torch.distributed as dist

            if dist.is_initialized():
                dist.destroy_process_group()
            self.backend = None


def check_nproc_per_node(nproc: int, device: str = "cpu") -> None:
    """ConfigError (one line) unless 1 <= `nproc` <= the CPU cores this process may use (and, on CUDA,
    the GPUs torch sees): each rank is a whole training process, more of them than cores only thrash."""
    if isinstance(nproc, bool) or not isinstance(nproc, int) or nproc < 1:
        raise ConfigError(f"--nproc-per-node {nproc}: use 1 or more")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if nproc > cores:
        raise ConfigError(
            f"--nproc-per-node {nproc}: more ranks than the {cores} CPU core(s) this process may use; "
            f"use --nproc-per-node {cores} or fewer"
        )
    if device == "cuda" and torch.cuda.is_available() and nproc > (gpus := torch.cuda.device_count()):
        raise ConfigError(f"--nproc-per-node {nproc}: one rank per GPU and torch sees {gpus}; use {gpus} or fewer")


def launch_torchrun(nproc_per_node: int, argv: list[str]) -> int:
    """Re-run `stylelite ARGV` as torch's launcher (`torch.distributed.run --standalone --nproc-per-node N`:
    a free rendezvous port on this machine), quieted: a rank that fails prints its own one-line error, and
    the launcher then says in one line which rank ended how (not torchrun's report); returns its exit code."""
    cmd = [
        sys.executable,
        "-m",
        "stylelite.distill.torchrun_quiet",
        "--standalone",
        f"--nproc-per-node={nproc_per_node}",
        "-m",
        "stylelite",
        *argv,
    ]
    return subprocess.call(cmd)
