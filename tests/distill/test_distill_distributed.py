"""`distill` under torchrun (gloo on CPU here; nccl on CUDA) and with mixed precision."""

import json
import os
import socket

import pytest
import torch
import torch.multiprocessing as mp

from stylelite.distill.distiller import DistillConfig, DistillTrainer, distill
from tests.conftest import run_cli
from tests.distill.tiny import TINY_ADVERSARIAL

CONFIG = dict(**TINY_ADVERSARIAL, cache_size=8)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rank(rank: int, world: int, port: int, out: str) -> None:
    """One torchrun rank: three distillation steps, then what it drew and what it learned."""
    from stylelite.distill.distributed import DistributedContext

    os.environ.update(
        RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port)
    )
    torch.set_num_threads(1)
    ctx = DistributedContext.from_env("cpu")
    try:
        torch.manual_seed(0)  # as run_training seeds every rank before building the trainer
        trainer = DistillTrainer(DistillConfig(**CONFIG), ctx, progress=False)
        trainer.prepare(0)
        drawn = []
        real_batch = trainer.cache.batch

        def batch(n):
            x, y, f, cond = real_batch(n)
            drawn.append(float(x.sum()))
            return x, y, f, cond

        trainer.cache.batch = batch
        for _ in range(3):
            trainer.train_step()
        torch.save(
            {"student": trainer.float_model.state_dict(), "disc": trainer.disc.state_dict(), "drawn": drawn},
            f"{out}/rank{rank}.pt",
        )
    finally:
        ctx.close()


def test_ranks_draw_their_own_batches_and_stay_in_sync(tmp_path):
    mp.spawn(_rank, args=(2, _free_port(), str(tmp_path)), nprocs=2, join=True)
    a, b = (torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1))
    assert a["drawn"] != b["drawn"]  # each rank trains on its own crops
    for part in ("student", "disc"):  # ... and the averaged gradients keep the weights identical
        for k in a[part]:
            torch.testing.assert_close(a[part][k], b[part][k], rtol=0, atol=0, msg=f"{part}/{k}")
    torch.manual_seed(0)
    start = DistillTrainer(DistillConfig(**CONFIG), _single(), progress=False).float_model.state_dict()
    assert any(not torch.equal(start[k], a["student"][k]) for k in start)  # and they did learn


def _single():
    from stylelite.distill.distributed import DistributedContext

    return DistributedContext()


@pytest.mark.slow  # two processes through torchrun (~20 s); the ranks' logic is tested in-process above
def test_cli_nproc_per_node_runs_two_gloo_ranks(tmp_path):
    args = ["--teacher", "cyclegan_r6", "--random-teacher", "--student", "shufflegen_t_038", "--steps", "4"]
    args += ["--batch", "2", "--crop", "32", "--cache-size", "4", "--temporal-batch", "1", "--threads", "1"]
    r = run_cli("distill", *args, "--nproc-per-node", "2", "-o", str(tmp_path / "runs"))
    assert r.returncode == 0, r.stderr[-2000:]
    (run,) = (tmp_path / "runs").iterdir()
    assert json.loads((run / "launch.json").read_text()) == {"world_size": 2, "backend": "gloo", "device": "cpu"}
    assert (run / "student.safetensors").is_file() and r.stdout.count("run folder:") == 1  # rank 0 reports
    rows = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert rows[-1]["step"] == 4 and all(k in rows[-1] for k in ("pixel", "temporal"))
    bad = run_cli("distill", "--random-teacher", "--batch", "0", "--nproc-per-node", "2", "-o", str(tmp_path / "x"))
    assert bad.returncode == 1 and bad.stderr.count("batch=0") == 1 and "Traceback" not in bad.stderr


def test_amp_trains_in_bf16_with_fp32_weights(tmp_path):
    run = distill(out=tmp_path, steps=3, amp=True, progress=False, **CONFIG)
    rows = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert rows[-1]["step"] == 3 and rows[-1]["loss"] > 0 and rows[-1]["disc"] > 0
    from safetensors.torch import load_file

    weights = load_file(str(run / "student.safetensors"))
    assert all(v.dtype == torch.float32 for v in weights.values() if v.is_floating_point())
    assert json.loads((run / "config.json").read_text())["amp"] is True


def test_amp_runs_the_forward_passes_in_bf16():
    torch.manual_seed(0)
    trainer = DistillTrainer(DistillConfig(amp=True, **CONFIG), _single(), progress=False)
    with trainer._autocast():
        _, taps = trainer.student.forward_features(torch.zeros(1, 3, 32, 32))
    assert {t.dtype for t in taps.values()} == {torch.bfloat16}  # the convs ran in bf16
    assert not trainer.scaler.is_enabled()  # bf16 needs no gradient scaling
