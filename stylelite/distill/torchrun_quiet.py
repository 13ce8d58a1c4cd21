"""torch's launcher (`torchrun`) with a one-line ending: `python -m stylelite.distill.torchrun_quiet ARGS`.

torchrun ends a job whose rank died with a traceback and a 30-line failure report. This runs the same
launcher (`torch.distributed.run.run`), with its logging quieted, and turns the failure into one line:
which rank ended and how (an exit code, or the signal that killed it). A rank that failed on a user error
has printed its own one-line message already. Exit code 1 for a failed rank, 128 + N for a signal N the
launcher itself received (Ctrl+C, SIGTERM).
"""

from __future__ import annotations

import logging
import signal
import sys


def _how(exitcode: int) -> str:
    if exitcode < 0:
        try:
            return f"was killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"was killed by signal {-exitcode}"
    return f"exited with code {exitcode}"


def main(argv: list[str] | None = None) -> int:
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import parse_args, run

    for name in ("torch.distributed.run", "torch.distributed.elastic", "torch.distributed.launcher"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    args = parse_args(sys.argv[1:] if argv is None else argv)
    verb = next((a for a in args.training_script_args if not a.startswith("-")), "")
    try:
        run(args)
    except ChildFailedError as exc:
        rank, failure = exc.get_first_failure()  # the first to fail; the launcher then stopped the others
        print(
            f"{' '.join(filter(None, ('stylelite', verb)))}: error: rank {rank} of {args.nproc_per_node} "
            f"{_how(failure.exitcode)}; the other ranks were stopped (a rank's own error, if any, is printed above)",
            file=sys.stderr,
        )
        return 1
    except SignalException as exc:  # the launcher was told to stop: it stopped the ranks
        return 128 + int(exc.sigval)
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
