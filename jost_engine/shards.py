"""Shards: the units a simulation is split into, on local cores or on many machines.

The layout is a function of the config alone (never of cores or workers), each shard has its own
reproducible RNG stream, and shard tallies are integers that merge exactly. So one config and
seed give the identical result however the shards are spread.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from jost_engine import kernel_layout as k
from jost_engine._kernel import simulate_chunk
from jost_engine.config import Config, config_digest, parse_config
from jost_engine.result import Result, Tally, merge_tallies
from jost_engine.shoe import rng_state
from jost_engine.table import GameTables, prepare
from jost_engine.version import ENGINE_VERSION

MIN_SHARD_ROUNDS = 50_000
MAX_SHARD_ROUNDS = 5_000_000
TARGET_SHARDS = 256


class SimulationCancelled(Exception):
    """Raised when a simulation is stopped between chunks."""


@dataclass(frozen=True)
class Shard:
    """One independent piece of a simulation: its index (= RNG stream) and its rounds."""

    index: int
    rounds: int
    count: int  # shards in the plan

    def to_dict(self) -> dict[str, int]:
        return {"index": self.index, "rounds": self.rounds, "count": self.count}

    @classmethod
    def from_dict(cls, data: dict[str, int]) -> Shard:
        return cls(int(data["index"]), int(data["rounds"]), int(data["count"]))


def plan_shards(config: Config | dict[str, Any]) -> list[Shard]:
    """Split a simulation into shards of 50 thousand to 5 million rounds (about 256 of them).

    Shards are many enough to keep every core of a large cluster busy and large enough that
    their start-up cost vanishes; their layout depends only on ``simulation.rounds``.
    """
    cfg = parse_config(config)
    total = cfg.simulation.rounds
    size = min(MAX_SHARD_ROUNDS, max(MIN_SHARD_ROUNDS, -(-total // TARGET_SHARDS)))
    count = -(-total // size)
    base, extra = divmod(total, count)
    return [Shard(i, base + (1 if i < extra else 0), count) for i in range(count)]


def chunk_rounds(config: Config) -> int:
    """Rounds between progress reports and stop checks: about 0.5% of the job."""
    return min(1_000_000, max(1_000, config.simulation.rounds // 200))


def run_shard(
    config: Config | dict[str, Any],
    shard: Shard,
    *,
    progress: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    tables: GameTables | None = None,
    trace: bool = False,
) -> Tally:
    """Play one shard and return its exact tally.

    ``progress(rounds_done_in_this_shard)`` is called after every chunk; ``should_stop()`` is
    asked between chunks and stops the shard with `SimulationCancelled`. With ``trace`` the
    tally carries each round's net result (``tally.trace``, scale units) for tests.
    """
    cfg = parse_config(config)
    t = tables if tables is not None else prepare(cfg)
    params = t.params.copy()
    params[k.P_TRACE] = 1 if trace else 0
    shoe = t.shoe.copy()
    rng = rng_state(cfg.simulation.seed, shard.index)
    ss = np.zeros(k.N_SHOE_STATE, dtype=np.int64)
    ss[k.S_RC] = params[k.P_IRC]
    ss[k.S_SHUFFLES] = 0 if cfg.rules.shuffle == "continuous" else 1
    ss[k.S_PLAYING] = 1 - params[k.P_WONG_IN_ON]
    ss[k.S_TRIP_BANK] = params[k.P_TRIP_BANKROLL]  # each shard starts a fresh trip
    counters = np.zeros(k.N_COUNTERS, dtype=np.int64)
    by_tc = np.zeros((2 * t.tc_max + 1) * k.N_TC_COLS, dtype=np.int64)
    dec = t.dec.ravel()  # the kernel indexes flat tables (see _kernel._di, _kernel._pi)
    pairs = t.pairs.ravel()
    trace_arr = np.zeros(shard.rounds if trace else 1, dtype=np.int64)
    step = chunk_rounds(cfg)
    done = 0
    start = time.perf_counter()
    while done < shard.rounds:
        if should_stop is not None and should_stop():
            raise SimulationCancelled(f"stopped after {done} rounds of shard {shard.index}")
        n = min(step, shard.rounds - done)
        out = trace_arr[done : done + n] if trace else trace_arr
        simulate_chunk(
            shoe, rng, ss, params, dec, pairs, t.index.dev_first, t.index.pair_first,
            t.index.devs, t.bet_by_tc, t.tc_den, t.tc_inv, n, counters, by_tc, out,
        )  # fmt: skip
        done += n
        if progress is not None:
            progress(done)
    tally = Tally.from_arrays(
        t.scale,
        counters,
        by_tc.reshape(-1, k.N_TC_COLS),
        t.tc_max,
        elapsed_s=time.perf_counter() - start,
    )
    if trace:
        tally.trace = trace_arr
    return tally


def run_shards(
    config: Config | dict[str, Any],
    shards: Sequence[Shard],
    *,
    progress: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    tables: GameTables | None = None,
) -> list[Tally]:
    """Play ``shards`` one after the other on this core; their tallies, in order.

    The one loop over shards of a single worker (a local serial run, a service shard of many
    engine shards). ``progress(rounds_done)`` counts over all of ``shards``; ``should_stop`` is
    asked between chunks, as `run_shard` does.
    """
    cfg = parse_config(config)
    t = tables if tables is not None else prepare(cfg)
    parts: list[Tally] = []
    played = 0
    for shard in shards:

        def report(done: int, base: int = played) -> None:
            if progress is not None:
                progress(base + done)

        parts.append(run_shard(cfg, shard, progress=report, should_stop=should_stop, tables=t))
        played += shard.rounds
    return parts


def merge_results(
    parts: list[Tally],
    config: Config | dict[str, Any] | None = None,
    *,
    elapsed_s: float | None = None,
) -> Result:
    """Merge shard tallies exactly into a `Result` (tallies may come from any machines)."""
    tally = merge_tallies(parts)
    elapsed = tally.elapsed_s if elapsed_s is None else elapsed_s
    result = Result(tally=tally, config_digest="", engine_version=ENGINE_VERSION, elapsed_s=elapsed)
    if config is not None:
        cfg = parse_config(config)
        result.config_digest = config_digest(cfg)
        result.bankroll_units = cfg.bankroll.units
        result.rounds_per_hour = cfg.simulation.rounds_per_hour
        result.trip_rounds = cfg.bankroll.trip_rounds
    return result
