"""One local worker process: ``python -P -m jost_engine.worker_process``, driven over its pipes.

It is a fresh interpreter that imports only the engine, so it works the same whatever the caller
is (a plain script, stdin, a notebook, a Textual app, a Celery worker) and whatever its
``__main__`` or standard streams are: nothing of the caller is re-imported or inherited but the
environment. Lines of JSON in both directions (`worker_pool` is the other side):

* in, on stdin: ``{"config": "<config JSON>"}`` (the game of the shards that follow) and
  ``{"shard": {"index", "rounds", "count"}}``; end of input means the caller is gone: exit.
* out, on the original stdout: ``{"kind": "ready", "compiled": bool}`` once the kernel is
  loaded, ``{"kind": "progress", "shard": i, "done": n}`` after each chunk,
  ``{"kind": "tally", "shard": i, "tally": {...}}`` per shard, and
  ``{"kind": "error", "shard": i, "text": "..."}`` when a shard fails (then it exits).

Anything else printed (by numba, say) goes to stderr, which the caller keeps for its error text.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import IO, Any


def _send(out: IO[str], message: dict[str, Any]) -> None:
    out.write(json.dumps(message, separators=(",", ":")) + "\n")
    out.flush()


def main() -> int:
    # Ctrl-C belongs to the caller, which stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints must not corrupt messages

    # Imported only now: stdout is redirected first, so nothing they print can reach the pipe.
    from jost_engine.config import parse_config
    from jost_engine.shards import Shard, SimulationCancelled, run_shard
    from jost_engine.table import prepare
    from jost_engine.warm import warm_up

    _send(out, {"kind": "ready", "compiled": warm_up()})
    cfg = tables = None
    for line in sys.stdin:
        command = json.loads(line)
        if "config" in command:
            cfg = parse_config(command["config"])
            tables = prepare(cfg)
            continue
        shard = Shard.from_dict(command["shard"])

        def progress(done: int, index: int = shard.index) -> None:
            _send(out, {"kind": "progress", "shard": index, "done": done})

        try:
            if cfg is None:
                raise RuntimeError("a shard arrived before its config")
            tally = run_shard(cfg, shard, progress=progress, tables=tables)
        except SimulationCancelled:  # pragma: no cover - workers are stopped from outside
            return 0
        except Exception as exc:  # reported to the caller, which raises it
            text = f"{type(exc).__name__}: {exc}"
            _send(out, {"kind": "error", "shard": shard.index, "text": text})
            return 1
        _send(out, {"kind": "tally", "shard": shard.index, "tally": tally.to_dict()})
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # the caller went away mid-message
        sys.exit(0)
