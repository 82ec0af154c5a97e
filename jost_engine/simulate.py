"""`run_simulation_from_config`: plan the shards, run them on the local cores, merge them.

It is built from exactly the public pieces a distributed service uses (`plan_shards`,
`run_shard`, `merge_results`), so a local run and a run spread over machines agree to the bit.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from jost_engine.config import Config, parse_config
from jost_engine.result import Result, Tally
from jost_engine.shards import SimulationCancelled, merge_results, plan_shards, run_shard
from jost_engine.table import prepare

Progress = Callable[[int, int], None]
Cancel = Callable[[], bool] | threading.Event | None


def _should_stop(cancel: Cancel) -> Callable[[], bool] | None:
    if cancel is None:
        return None
    if isinstance(cancel, threading.Event):
        return cancel.is_set
    return cancel


def _worker(config_json: str, tasks: Any, messages: Any, stop: Any) -> None:
    """A worker process: take shards from ``tasks`` until a ``None``, report on ``messages``.

    Messages: ``("progress", shard, done)`` after each chunk, ``("tally", shard, dict)`` per
    shard, ``("error", shard, text)`` if a shard fails. Ctrl-C belongs to the parent, which
    stops the workers through ``stop``.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    cfg = parse_config(config_json)
    tables = prepare(cfg)
    while (shard := tasks.get()) is not None:
        try:
            tally = run_shard(
                cfg,
                shard,
                progress=lambda done, i=shard.index: messages.put(("progress", i, done)),
                should_stop=stop.is_set,
                tables=tables,
            )
        except SimulationCancelled:
            return
        except Exception as exc:  # reported to the parent, which raises it
            messages.put(("error", shard.index, f"{type(exc).__name__}: {exc}"))
            return
        messages.put(("tally", shard.index, tally.to_dict()))


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
    """Shards on ``n_workers`` processes, which pull them from a queue (so faster cores do more).

    Plain processes and two queues: no pool machinery competing with the workers for the CPU.
    """
    ctx = _context()
    tasks = ctx.Queue()
    messages = ctx.Queue()
    stop_event = ctx.Event()
    for shard in shards:
        tasks.put(shard)
    for _ in range(n_workers):
        tasks.put(None)
    config_json = cfg.model_dump_json()
    workers = [
        ctx.Process(target=_worker, args=(config_json, tasks, messages, stop_event), daemon=True)
        for _ in range(n_workers)
    ]
    for w in workers:
        w.start()
    tallies: dict[int, Tally] = {}
    done_by_shard = dict.fromkeys((s.index for s in shards), 0)
    done_total = 0
    try:
        while len(tallies) < len(shards):
            if stop is not None and stop():
                raise SimulationCancelled("simulation cancelled")
            try:
                kind, index, payload = messages.get(timeout=0.1)
            except queue.Empty:
                if not any(w.is_alive() for w in workers):
                    raise RuntimeError("the simulation workers stopped unexpectedly") from None
                continue
            if kind == "progress":
                gained = max(0, payload - done_by_shard[index])
                done_by_shard[index] += gained
                done_total += gained
                if progress is not None and gained:
                    progress(done_total, total)
            elif kind == "tally":
                tallies[index] = Tally.from_dict(payload)
            else:
                raise RuntimeError(f"shard {index} failed: {payload}")
    finally:
        stop_event.set()
        for w in workers:
            w.join(timeout=5)
            if w.is_alive():
                w.terminate()
    return [tallies[s.index] for s in shards]
