"""`run_simulation_from_config`: plan the shards, run them on the local cores, merge them.

It is built from exactly the public pieces a distributed service uses (`plan_shards`,
`run_shard`, `merge_results`), so a local run and a run spread over machines agree to the bit.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from jost_engine.config import Config, parse_config
from jost_engine.result import Result, Tally
from jost_engine.shards import Shard, SimulationCancelled, merge_results, plan_shards, run_shard
from jost_engine.table import prepare

Progress = Callable[[int, int], None]
Cancel = Callable[[], bool] | threading.Event | None

# worker-process globals, set by _init_worker (a pool's tasks cannot carry queues)
_progress_queue: Any = None
_stop_event: Any = None


def _should_stop(cancel: Cancel) -> Callable[[], bool] | None:
    if cancel is None:
        return None
    if isinstance(cancel, threading.Event):
        return cancel.is_set
    return cancel


def _init_worker(progress_queue: Any, stop_event: Any) -> None:
    global _progress_queue, _stop_event
    _progress_queue = progress_queue
    _stop_event = stop_event


def _worker_run(config_json: str, shard: Shard) -> Tally:
    cfg = parse_config(config_json)
    return run_shard(
        cfg,
        shard,
        progress=lambda done: _progress_queue.put((shard.index, done)),
        should_stop=_stop_event.is_set,
    )


def _context() -> mp.context.BaseContext:
    """Forkserver where there is one: safe in threaded hosts (Celery, Django), and cheap."""
    methods = mp.get_all_start_methods()
    if "forkserver" in methods:
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["jost_engine.warm"])
        return ctx
    return mp.get_context("spawn")


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def run_simulation_from_config(
    config: Config | dict | str,
    *,
    progress: Progress | None = None,
    workers: int | None = None,
    cancel: Cancel = None,
) -> Result:
    """Run a simulation on this machine and return its `Result`.

    ``workers=None`` uses every core. ``progress(rounds_done, rounds_total)`` is called at least
    every ~1% of the work (from this thread). ``cancel`` (a callable or `threading.Event`) is
    checked between chunks; when it turns true the run stops and `SimulationCancelled` is
    raised. Invalid configs raise `ConfigError` before anything runs.
    """
    cfg = parse_config(config)
    tables = prepare(cfg)  # refuses what cannot be simulated, before any work starts
    shards = plan_shards(cfg)
    total = cfg.simulation.rounds
    n_workers = max(1, min(workers or default_workers(), len(shards)))
    stop = _should_stop(cancel)
    start = time.perf_counter()
    if n_workers == 1:
        parts = _run_serial(cfg, shards, tables, total, progress, stop)
    else:
        parts = _run_parallel(cfg, shards, n_workers, total, progress, stop)
    return merge_results(parts, cfg, elapsed_s=time.perf_counter() - start)


def _run_serial(cfg, shards, tables, total, progress, stop) -> list[Tally]:
    parts = []
    finished = 0
    for shard in shards:

        def report(done: int, base: int = finished) -> None:
            if progress is not None:
                progress(base + done, total)

        parts.append(run_shard(cfg, shard, progress=report, should_stop=stop, tables=tables))
        finished += shard.rounds
    return parts


def _run_parallel(cfg, shards, n_workers, total, progress, stop) -> list[Tally]:
    ctx = _context()
    progress_queue = ctx.Queue()
    stop_event = ctx.Event()
    done_by_shard = dict.fromkeys((s.index for s in shards), 0)
    done_by_shard[-1] = 0  # key -1 keeps the total, so a report costs O(1)
    config_json = cfg.model_dump_json()
    with ctx.Pool(
        n_workers, initializer=_init_worker, initargs=(progress_queue, stop_event)
    ) as pool:
        pending = [pool.apply_async(_worker_run, (config_json, s)) for s in shards]
        try:
            while not all(p.ready() for p in pending):
                if stop is not None and stop():
                    stop_event.set()
                    raise SimulationCancelled("simulation cancelled")
                _drain(progress_queue, done_by_shard, progress, total, timeout=0.05)
            parts = [p.get() for p in pending]  # re-raises a worker's exception here
        except BaseException:
            stop_event.set()
            pool.terminate()
            raise
    _drain(progress_queue, done_by_shard, progress, total, timeout=0)
    return parts


def _drain(progress_queue, done_by_shard, progress, total, timeout: float) -> None:
    """Pass on every chunk report waiting in the queue, one progress call per report."""
    try:
        item = progress_queue.get(timeout=timeout) if timeout else progress_queue.get_nowait()
        while True:
            index, done = item
            gained = max(0, done - done_by_shard[index])
            done_by_shard[index] += gained
            done_by_shard[-1] += gained  # the running total
            if progress is not None and gained:
                progress(done_by_shard[-1], total)
            item = progress_queue.get_nowait()
    except queue.Empty:
        pass
