"""Imported by the forkserver: loads the compiled kernel once, so forked workers start warm.

It plays a few rounds with a one-line chart of its own, so it depends on no bundled data and
can never stop a worker pool from starting.
"""

import contextlib

from jost_engine.config import default_config, parse_config
from jost_engine.shards import Shard, run_shard

_STAND = " ".join(["S"] * 10)


def _warm() -> None:
    data = default_config().model_dump(mode="json")
    data["strategy"]["basic"] = {
        "hard": {str(t): _STAND for t in range(4, 22)},
        "soft": {str(t): _STAND for t in range(12, 22)},
        "pairs": {p: _STAND for p in ("2", "3", "4", "5", "6", "7", "8", "9", "10", "A")},
    }
    run_shard(parse_config(data), Shard(0, 10, 1))


with contextlib.suppress(Exception):
    _warm()
