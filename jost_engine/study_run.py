"""`run_study`: every point of a study on this machine's cores, through one pool of workers.

The shards of all the points go through the same workers (the next shard of the next point as
soon as a worker is free), so every core stays busy across points and a point's result is merged
from exactly the tallies a plain run of its config gives. Points found in the cache are not run.

A point with a target SE runs in chunks of ``chunk_rounds``: chunk k plays the point's config
with `study.chunk_seed` (chunk 0: the point's own seed); after each batch of chunks the merged
SE decides how many more (its estimate of the rounds still needed), up to ``max_rounds``. Its
result therefore depends on the chunk size, and is still the same for the same document.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jost_engine import warm
from jost_engine.config import Config
from jost_engine.result import Tally
from jost_engine.result_cache import ResultCache
from jost_engine.shards import Shard, merge_results, plan_shards, run_shards
from jost_engine.simulate import Cancel, Progress, Status, _should_stop, default_workers
from jost_engine.study import Study, StudyPoint, chunk_seed, parse_study
from jost_engine.study_summary import summarize_point
from jost_engine.table import prepare
from jost_engine.version import ENGINE_VERSION
from jost_engine.worker_pool import POOL, Worker, pump

DOCUMENT = "jost.study_result"
SCHEMA_VERSION = 1


@dataclass
class PointResult:
    """A finished point: its result document, its summary, and whether the cache gave it."""

    point: StudyPoint
    result: dict[str, Any]
    summary: dict[str, Any]
    cached: bool
    chunks: int = 1

    def to_dict(self, *, with_result: bool = True) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "index": self.point.index,
            "label": self.point.label,
            "seed": self.point.config.simulation.seed,
            "rounds": self.result["rounds"],
            "cache_key": self.point.cache_key,
            "cached": self.cached,
            "chunks": self.chunks,
            "summary": self.summary,
        }
        if with_result:
            doc["result"] = self.result
        return doc


@dataclass
class StudyResult:
    """Every point's result, in the study's order, and the wall time of the whole study."""

    study: Study
    points: list[PointResult]
    elapsed_s: float

    def to_dict(self, *, with_results: bool = True) -> dict[str, Any]:
        """The ``jost.study_result`` document (docs/study.md)."""
        return {
            "document": DOCUMENT,
            "schema_version": SCHEMA_VERSION,
            "engine_version": ENGINE_VERSION,
            "name": self.study.name,
            "study": self.study.to_dict(),
            "bankroll": self.study.bankroll,
            "points_total": len(self.points),
            "points_cached": sum(p.cached for p in self.points),
            "elapsed_s": self.elapsed_s,
            "points": [p.to_dict(with_result=with_results) for p in self.points],
        }


@dataclass
class _Job:
    """One config to simulate: a point, or one chunk of a target-SE point."""

    point: StudyPoint
    config: Config
    shards: list[Shard]
    config_json: str = ""
    tallies: dict[int, Tally] = field(default_factory=dict)
    done_by_shard: dict[int, int] = field(default_factory=dict)

    def complete(self) -> bool:
        return len(self.tallies) == len(self.shards)


@dataclass
class _Chunks:
    """A target-SE point's progress: the tallies of its finished chunks and the next chunk."""

    parts: list[Tally] = field(default_factory=list)
    planned: int = 0  # chunks started
    running: int = 0  # chunks started, not finished
    rounds: int = 0  # rounds planned


class _Plan:
    """What remains of a study: the jobs to run, and every point's result as it finishes."""

    def __init__(
        self,
        study: Study,
        cache: ResultCache | None,
        progress: Progress | None,
        on_point: Callable[[PointResult], None] | None,
    ) -> None:
        self.study, self.cache, self._progress, self._on_point = study, cache, progress, on_point
        self.jobs: deque[_Job] = deque()
        self.results: dict[int, PointResult] = {}
        self.chunks: dict[int, _Chunks] = {}
        self.total = self.done = 0
        self.left = 0

    def start(self) -> None:
        found: list[PointResult] = []
        for point in self.study.points():
            cached = self.cache.get(point.cache_key) if self.cache is not None else None
            if cached is not None:
                self.total += int(cached["rounds"])
                self.done += int(cached["rounds"])
                found.append(self._finished(point, cached, cached=True, chunks=0))
                continue
            self.left += 1
            if point.target_se is None:
                self._add(point, point.config)
                self.total += point.rounds
            else:
                self.chunks[point.index] = _Chunks()
                self._plan_chunks(point, 1)
        self.report()
        for result in found:
            self._announce(result)

    def report(self) -> None:
        if self._progress is not None:
            self._progress(self.done, self.total)

    def gained(self, rounds: int) -> None:
        self.done += rounds
        self.report()

    def _add(self, point: StudyPoint, config: Config, front: bool = False) -> None:
        job = _Job(point, config, plan_shards(config), config.model_dump_json())
        job.done_by_shard = dict.fromkeys((s.index for s in job.shards), 0)
        (self.jobs.appendleft if front else self.jobs.append)(job)

    def _plan_chunks(self, point: StudyPoint, count: int) -> None:
        state = self.chunks[point.index]
        size = point.config.simulation.rounds
        for _ in range(count):
            rounds = min(size, point.rounds - state.rounds)
            if rounds <= 0:
                break
            seed = chunk_seed(point.config.simulation.seed, state.planned)
            self._add(point, point.config.with_overrides(rounds=rounds, seed=seed), front=True)
            state.planned += 1
            state.running += 1
            state.rounds += rounds
            self.total += rounds

    def job_done(self, job: _Job) -> None:
        """A job's shards are all in: finish its point, or plan the point's next chunks."""
        parts = [job.tallies[s.index] for s in job.shards]
        point = job.point
        if point.target_se is None:
            result = merge_results(parts, job.config).to_dict()
            self._store(point, result, chunks=1)
            return
        state = self.chunks[point.index]
        state.parts += parts
        state.running -= 1
        if state.running:
            return
        config = point.config.with_overrides(rounds=state.rounds)
        result = merge_results(state.parts, config).to_dict()
        se = result["ev_per_initial_bet"]["se"]
        if (se is not None and se < point.target_se) or state.rounds >= point.rounds:
            self._store(point, result, chunks=state.planned)
            return
        # The rounds still needed by the SE's 1/sqrt(n) law (at least one more chunk).
        needed = state.rounds * ((se / point.target_se) ** 2 if se else 4.0)
        size = point.config.simulation.rounds
        self._plan_chunks(point, max(1, math.ceil((needed - state.rounds) / size)))

    def _store(self, point: StudyPoint, result: dict[str, Any], chunks: int) -> None:
        if self.cache is not None:
            self.cache.put(point.cache_key, result)
        self.left -= 1
        self._announce(self._finished(point, result, cached=False, chunks=chunks))

    def _finished(
        self, point: StudyPoint, result: dict[str, Any], *, cached: bool, chunks: int
    ) -> PointResult:
        summary = summarize_point(result, bankroll=self._bankroll(point))
        done = PointResult(point, result, summary, cached, chunks)
        self.results[point.index] = done
        return done

    def _bankroll(self, point: StudyPoint) -> float | None:
        return self.study.bankroll or point.config.bankroll.units

    def _announce(self, result: PointResult) -> None:
        if self._on_point is not None:
            self._on_point(result)


def run_study(
    study: Study | dict[str, Any] | str,
    *,
    workers: int | None = None,
    cache: ResultCache | None = None,
    progress: Progress | None = None,
    on_point: Callable[[PointResult], None] | None = None,
    cancel: Cancel = None,
    status: Status | None = None,
) -> StudyResult:
    """Run every point of a study here (every core unless ``workers``); a `StudyResult`.

    ``progress(rounds_done, rounds_total)`` covers the whole study (cached points count as
    done; a target-SE point adds its chunks as they are planned); ``on_point(PointResult)`` is
    called as each point finishes, cached ones first. Points are validated (`parse_study`) and
    checked against the simulator (`table.prepare`) before anything runs. ``cancel`` and
    ``status`` work as in `run_simulation_from_config`.
    """
    parsed = parse_study(study)
    for point in parsed.points():
        prepare(point.config)  # refuses what cannot be simulated, before any work starts
    start = time.perf_counter()
    plan = _Plan(parsed, cache, progress, on_point)
    plan.start()
    stop = _should_stop(cancel)
    say = status or (lambda _line: None)
    shards = sum(len(j.shards) for j in plan.jobs)
    n_workers = max(1, min(workers or default_workers(), max(shards, 1)))
    if plan.left:
        if n_workers == 1:
            _run_serial(plan, stop, say)
        else:
            _run_parallel(plan, n_workers, stop, say)
    ordered = [plan.results[p.index] for p in parsed.points()]
    return StudyResult(parsed, ordered, time.perf_counter() - start)


def _run_serial(plan: _Plan, stop: Callable[[], bool] | None, say: Status) -> None:
    if not warm.kernel_is_cached():
        say(warm.COMPILING)
    warm.warm_up()
    say("simulating")
    while plan.jobs:
        job = plan.jobs.popleft()
        base = plan.done

        def report(done: int, base: int = base) -> None:
            plan.done = base + done
            plan.report()

        parts = run_shards(job.config, job.shards, progress=report, should_stop=stop)
        job.tallies = {s.index: t for s, t in zip(job.shards, parts, strict=True)}
        plan.job_done(job)


def _run_parallel(
    plan: _Plan, n_workers: int, stop: Callable[[], bool] | None, say: Status
) -> None:
    """Shards of every job on ``n_workers`` processes, each sent the next shard when it finishes
    one (its config first when it changes); as in `simulate`, a run that does not finish kills
    its workers, a finished one leaves them warm."""
    cold = not warm.kernel_is_cached()
    if cold:
        say(warm.COMPILING)
    pool: list[Worker] = POOL.take(1 if cold else n_workers)
    pending: deque[tuple[_Job, Shard]] = deque()
    running: dict[int, tuple[_Job, Shard]] = {}  # worker pid -> its shard

    def refill() -> None:
        if plan.jobs:  # one job at a time: points finish in order, target-SE chunks go first
            job = plan.jobs.popleft()
            pending.extend((job, s) for s in job.shards)

    def dispatch(worker: Worker) -> None:
        if not pending:
            refill()
        if not pending:
            return
        job, shard = pending.popleft()
        if worker.config != job.config_json:
            worker.send({"config": job.config_json})
            worker.config = job.config_json
        worker.send({"shard": shard.to_dict()})
        running[worker.process.pid] = (job, shard)

    def on_message(worker: Worker, message: dict[str, Any]) -> None:
        kind = message["kind"]
        if kind == "ready":
            worker.ready, worker.compiled = True, bool(message.get("compiled"))
            return
        if kind == "error":
            raise RuntimeError(f"shard {message.get('shard')} failed: {message.get('text')}")
        job, shard = running[worker.process.pid]
        if kind == "progress":
            gained = max(0, message["done"] - job.done_by_shard[shard.index])
            job.done_by_shard[shard.index] += gained
            if gained:
                plan.gained(gained)
        elif kind == "tally":
            del running[worker.process.pid]
            job.tallies[shard.index] = Tally.from_dict(message["tally"])
            if job.complete():
                plan.job_done(job)  # may plan a target-SE point's next chunks
                for idle in pool:  # workers left idle while nothing was pending
                    if idle.ready and idle is not worker and idle.process.pid not in running:
                        dispatch(idle)
            dispatch(worker)

    finished = False
    try:
        if cold:
            pump(pool, on_message, until=lambda: pool[0].ready, stop=stop)
            pool += POOL.take(n_workers - 1)
        pump(pool, on_message, until=lambda: all(w.ready for w in pool), stop=stop)
        say("simulating")
        for worker in pool:
            dispatch(worker)
        pump(pool, on_message, until=lambda: plan.left == 0, stop=stop)
        finished = True
    finally:
        if finished:
            POOL.give_back(pool)
        else:
            POOL.discard(pool)
