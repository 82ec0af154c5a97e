"""`run_simulation_from_config`: plan the shards, run them on the local cores, merge them.

It is built from exactly the public pieces a distributed service uses (`plan_shards`,
`run_shard`, `merge_results`), so a local run and a run spread over machines agree to the bit.
The cores are worker processes of `worker_pool`, which work from any caller.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from jost_engine import warm
from jost_engine.config import Config, parse_config
from jost_engine.result import Result, Tally
from jost_engine.shards import Shard, merge_results, plan_shards, run_shards
from jost_engine.table import GameTables, prepare
from jost_engine.worker_pool import POOL, Worker, pump

Progress = Callable[[int, int], None]
Status = Callable[[str], None]
Cancel = Callable[[], bool] | threading.Event | None

SIMULATING = "simulating"


def _should_stop(cancel: Cancel) -> Callable[[], bool] | None:
    if cancel is None:
        return None
    if isinstance(cancel, threading.Event):
        return cancel.is_set
    return cancel


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def run_simulation_from_config(
    config: Config | dict[str, Any] | str,
    *,
    progress: Progress | None = None,
    workers: int | None = None,
    cancel: Cancel = None,
    status: Status | None = None,
) -> Result:
    """Run a simulation on this machine and return its `Result`.

    ``workers=None`` uses every core. ``progress(rounds_done, rounds_total)`` is called at least
    every ~1% of the work (from this thread). ``cancel`` (a callable or `threading.Event`) is
    checked between chunks; when it turns true the run stops and `SimulationCancelled` is
    raised. ``status(line)`` hears what the run is doing before its rounds start: `warm.COMPILING`
    when the kernel must first be compiled (the first run in a fresh environment), then
    `SIMULATING`. Start-up and compilation are not in the result's ``elapsed_s`` (nor so in its
    rounds per second). Invalid configs raise `ConfigError` before anything runs.
    """
    cfg = parse_config(config)
    tables = prepare(cfg)  # refuses what cannot be simulated, before any work starts
    shards = plan_shards(cfg)
    total = cfg.simulation.rounds
    n_workers = max(1, min(workers or default_workers(), len(shards)))
    stop = _should_stop(cancel)
    say = status or (lambda _line: None)
    if n_workers == 1:
        parts, elapsed = _run_serial(cfg, shards, tables, total, progress, stop, say)
    else:
        parts, elapsed = _run_parallel(cfg, shards, n_workers, total, progress, stop, say)
    return merge_results(parts, cfg, elapsed_s=elapsed)


def _run_serial(
    cfg: Config,
    shards: list[Shard],
    tables: GameTables,
    total: int,
    progress: Progress | None,
    stop: Callable[[], bool] | None,
    say: Status,
) -> tuple[list[Tally], float]:
    if not warm.kernel_is_cached(cfg):
        say(warm.COMPILING)
    warm.warm_up(cfg)  # the game's own compiled loop (see jost_engine._kernel.round_loop)
    say(SIMULATING)
    start = time.perf_counter()

    def report(done: int) -> None:
        if progress is not None:
            progress(done, total)

    parts = run_shards(cfg, shards, progress=report, should_stop=stop, tables=tables)
    return parts, time.perf_counter() - start


def _run_parallel(
    cfg: Config,
    shards: list[Shard],
    n_workers: int,
    total: int,
    progress: Progress | None,
    stop: Callable[[], bool] | None,
    say: Status,
) -> tuple[list[Tally], float]:
    """Shards on ``n_workers`` processes, each given the next shard when it finishes one (so
    faster cores do more). A run that does not finish kills its workers (they may be
    mid-shard); a finished one leaves them warm for the next run of this process.
    """
    config_json = cfg.model_dump_json()
    # The game's loop is compiled here, once, into the disk cache the workers load it from;
    # the workers start with the default game's loop: one compiles it, the others load it.
    game_cold = not warm.kernel_is_cached(cfg)
    cold = not warm.kernel_is_cached()
    if game_cold or cold:
        say(warm.COMPILING)
    if game_cold:
        warm.warm_up(cfg)
    pool: list[Worker] = POOL.take(1 if cold else n_workers)
    pending = deque(shards)
    tallies: dict[int, Tally] = {}
    done_by_shard = dict.fromkeys((s.index for s in shards), 0)
    done_total = 0

    def dispatch(worker: Worker) -> None:
        if not pending:
            return
        if worker.config != config_json:
            worker.send({"config": config_json})
            worker.config = config_json
        worker.send({"shard": pending.popleft().to_dict()})

    def on_message(worker: Worker, message: dict[str, Any]) -> None:
        nonlocal done_total
        kind = message["kind"]
        if kind == "ready":
            worker.ready, worker.compiled = True, bool(message.get("compiled"))
        elif kind == "progress":
            index = message["shard"]
            gained = max(0, message["done"] - done_by_shard[index])
            done_by_shard[index] += gained
            done_total += gained
            if progress is not None and gained:
                progress(done_total, total)
        elif kind == "tally":
            tallies[message["shard"]] = Tally.from_dict(message["tally"])
            dispatch(worker)
        else:
            raise RuntimeError(f"shard {message.get('shard')} failed: {message.get('text')}")

    finished = False
    try:
        if cold:
            pump(pool, on_message, until=lambda: pool[0].ready, stop=stop)
            pool += POOL.take(n_workers - 1)
        # The clock starts when every worker holds the kernel: the rate is the steady one.
        pump(pool, on_message, until=lambda: all(w.ready for w in pool), stop=stop)
        say(SIMULATING)
        start = time.perf_counter()
        for worker in pool:
            dispatch(worker)
        pump(pool, on_message, until=lambda: len(tallies) == len(shards), stop=stop)
        elapsed = time.perf_counter() - start
        finished = True
    finally:
        if finished:
            POOL.give_back(pool)
        else:
            POOL.discard(pool)
    return [tallies[s.index] for s in shards], elapsed
