"""Everything that changes a job: submit, dispatch, cancel, run, reap.

Views and tasks stay thin and call these functions. The rules that keep jobs exactly-once:

* A job is claimed by one conditional UPDATE (``PENDING → RUNNING``) that increments
  ``attempts`` and hands out a fresh ``run_token``; a message for a job that is not PENDING
  (re-delivered, duplicated, cancelled, finished) claims nothing and is dropped.
* Every later write of a run (progress, heartbeat, COMPLETE, FAILED, CANCELLED) is conditional on
  still holding that token while RUNNING, so a worker that lost its job can never overwrite it.
* The reaper takes a RUNNING job whose heartbeat stopped back to PENDING (a new attempt, a new
  message) or fails it after ``JOST_MAX_ATTEMPTS``; a job that was accepted is never lost.

A job of more than ``JOST_SHARD_ROUNDS`` rounds runs as shards under the same rules, per shard:
see `shard_services` (submit, cancel and the reaper hand its shards over to it).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache, partial
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from jost_engine import (
    Config,
    ConfigError,
    SimulationCancelled,
    config_digest,
    parse_config,
    run_simulation_from_config,
)
from jost_engine.strategy import bundled_chart, chart_family
from jost_engine.table import prepare
from service.live import publish as live
from service.simulator.errors import ConfigInvalid, IdempotencyConflict, JobError, JobNotCancellable
from service.simulator.models import (
    FINISHED,
    EventKind,
    JobStatus,
    SimulationJob,
    SimulationJobEvent,
)

logger = logging.getLogger(__name__)

MAX_IDEMPOTENCY_KEY = 255


class InvalidRequest(JobError):
    """A request that is malformed apart from its config (e.g. a bad Idempotency-Key)."""

    code = "invalid_request"


# --------------------------------------------------------------------------------------------
# Validation and submission
# --------------------------------------------------------------------------------------------


def _kind_of(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    return "a number" if isinstance(value, int | float) else type(value).__name__


def validate_job_config(data: object) -> Config:
    """The engine's own validation, plus what this service refuses: raises `ConfigInvalid`.

    Refused, each with its path: anything the config models reject, valid settings the simulator
    does not play yet (``jost_engine.table.prepare``), and more rounds than ``JOST_MAX_ROUNDS``.
    """
    if not isinstance(data, dict):
        message = f"a config must be a JSON object {{...}}, got {_kind_of(data)}"
        raise ConfigInvalid("the body is not a config", [{"path": "", "message": message}])
    try:
        config = parse_config(data)
    except ConfigError as exc:
        raise ConfigInvalid(_problem_summary(exc.problems), exc.problems) from None
    problems = [dict(path=path, message=message) for path, message in _simulator_refusals(config)]
    limit = settings.JOST_MAX_ROUNDS
    if config.simulation.rounds > limit:
        problems.append(
            {
                "path": "simulation.rounds",
                "message": f"this service runs at most {limit:,} rounds per job, "
                f"got {config.simulation.rounds:,}",
            }
        )
    if problems:
        raise ConfigInvalid(_problem_summary(problems), problems)
    return config


def _simulator_refusals(config: Config) -> tuple[tuple[str, str], ...]:
    """What ``prepare`` refuses in this game (its name, seed and length cannot matter)."""
    game = config.model_dump(mode="json", exclude={"name": True, "simulation": {"seed", "rounds"}})
    return _refusals_of_game(json.dumps(game, sort_keys=True))


@lru_cache(maxsize=512)
def _refusals_of_game(game_json: str) -> tuple[tuple[str, str], ...]:
    """Cached: building the kernel's tables costs milliseconds, and players resubmit games.

    ``"basic": "auto"`` is checked with the published chart of the rules' family: the optimal
    chart (`jost_engine.analysis`) costs a second or two of analysis for a rule set the process
    has not seen, which belongs in the worker that plays the game, not in a web request, and
    what can be refused does not depend on which chart is played.
    """
    config = parse_config(game_json)
    if config.strategy.basic == "auto":
        chart = bundled_chart(chart_family(config.rules))
        strategy = config.strategy.model_copy(update={"basic": chart})
        config = config.model_copy(update={"strategy": strategy})
    try:
        prepare(config)
    except ConfigError as exc:
        return tuple((p["path"], p["message"]) for p in exc.problems)
    return ()


def _problem_summary(problems: list[dict[str, str]]) -> str:
    count = len(problems)
    return f"the config has {count} problem{'s' if count != 1 else ''}"


def _clean_idempotency_key(key: str | None) -> str | None:
    if key is None:
        return None
    key = key.strip()
    if not key:
        return None
    if len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable():
        raise InvalidRequest(
            f"an Idempotency-Key must be printable text of at most {MAX_IDEMPOTENCY_KEY} "
            "characters",
            [{"path": "Idempotency-Key", "message": "not a usable key"}],
        )
    return key


def _replay(job: SimulationJob, digest: str) -> SimulationJob:
    if job.config_digest != digest:
        raise IdempotencyConflict(
            "this Idempotency-Key was already used for a different config; "
            "use a new key for a new job",
            [{"path": "Idempotency-Key", "message": f"already used by job {job.id}"}],
        )
    return job


def _event(job_id: Any, kind: str, attempt: int = 0, message: str = "") -> None:
    SimulationJobEvent.objects.create(job_id=job_id, kind=kind, attempt=attempt, message=message)
    live.job_event_recorded(job_id, kind)  # watchers hear of it after commit; never raises


def job_submit(
    *, owner: AbstractBaseUser, data: object, idempotency_key: str | None = None
) -> tuple[SimulationJob, bool]:
    """Validate a config and accept it as a PENDING job; ``(job, created)``.

    The job is queued only after the transaction commits, so a worker never looks for a row
    that is not there. A repeated ``idempotency_key`` returns the first job (``created`` False).
    A job of more than ``JOST_SHARD_ROUNDS`` rounds gets its shard rows in the same transaction
    and one message per shard (`shard_services`).
    """
    key = _clean_idempotency_key(idempotency_key)
    config = validate_job_config(data)
    digest = config_digest(config)
    if key is not None:
        existing = SimulationJob.objects.filter(owner=owner, idempotency_key=key).first()
        if existing is not None:
            return _replay(existing, digest), False
    now = timezone.now()
    job = SimulationJob(
        owner=owner,
        name=config.name[:200],
        request_data=config.model_dump(mode="json"),
        config_digest=digest,
        engine_version=settings.JOST_ENGINE_VERSION,
        idempotency_key=key,
        rounds_total=config.simulation.rounds,
        created_at=now,
        queued_at=now,  # cleared again if the message cannot be sent
        updated_at=now,
    )
    try:
        if job.rounds_total > settings.JOST_SHARD_ROUNDS:
            from service.simulator.shard_services import shards_create, shards_dispatch

            with transaction.atomic():
                job.save(force_insert=True)
                shards_create(job, config, now=now)
                transaction.on_commit(partial(shards_dispatch, job.pk), robust=True)
        else:
            # one INSERT commits on its own (no BEGIN/COMMIT round trips); on_commit sends at
            # once, or when a transaction the caller holds commits
            job.save(force_insert=True)
            transaction.on_commit(partial(job_dispatch, job.pk, job.rounds_total), robust=True)
    except IntegrityError:
        if key is None:
            raise
        existing = SimulationJob.objects.get(owner=owner, idempotency_key=key)
        return _replay(existing, digest), False
    return job, True


def time_limits(rounds: int) -> tuple[float, float]:
    """(soft, hard) seconds for a job: a base plus the job at the slowest healthy rate."""
    soft = settings.JOST_TIME_LIMIT_BASE_S + rounds / settings.JOST_TIME_LIMIT_MIN_ROUNDS_PER_S
    return soft, soft + 60.0


def job_dispatch(job_id: Any, rounds_total: int) -> bool:
    """Put a message for a PENDING job on the queue; False (logged) when the broker refused it.

    A job whose message could not be sent stays PENDING with no ``queued_at``, and the reaper
    sends it again within seconds, so a broker outage delays jobs but never loses them. (A web
    process killed between the commit and the send leaves ``queued_at`` set: that job is sent
    again after ``JOST_PENDING_REDISPATCH_S``, like any message the broker may have lost.)
    """
    from service.simulator.tasks import run_jost_simulation_task

    soft, hard = time_limits(rounds_total)
    try:
        run_jost_simulation_task.apply_async(
            args=[str(job_id)], soft_time_limit=soft, time_limit=hard
        )
    except Exception:
        logger.exception("could not queue job %s; the reaper will send it again", job_id)
        SimulationJob.objects.filter(pk=job_id, status=JobStatus.PENDING).update(queued_at=None)
        return False
    return True


def job_cancel(*, job: SimulationJob) -> SimulationJob:
    """Cancel a job: a PENDING one at once, a RUNNING one by a flag its worker reads.

    Cancelling a cancelled job is a no-op; a COMPLETE or FAILED job cannot be cancelled. Of a
    sharded job, the shards not started are cancelled at once and the running ones stop at
    their next check (`shard_services.shards_cancel`).
    """
    now = timezone.now()
    with transaction.atomic():
        if (
            SimulationJob.objects.filter(pk=job.pk, status=JobStatus.PENDING).update(
                status=JobStatus.CANCELLED, finished_at=now, updated_at=now
            )
            == 1
        ):
            _event(job.pk, EventKind.CANCELLED, job.attempts, "cancelled before it started")
        elif (
            SimulationJob.objects.filter(
                pk=job.pk, status=JobStatus.RUNNING, cancel_requested=False
            ).update(cancel_requested=True, updated_at=now)
            == 1
        ):
            _event(job.pk, EventKind.CANCEL_REQUESTED, job.attempts)
        if job.shard_count:
            from service.simulator.shard_services import shards_cancel

            shards_cancel(job.pk, now=now)
    job.refresh_from_db()
    if job.status in (JobStatus.COMPLETE, JobStatus.FAILED):
        raise JobNotCancellable(f"job {job.id} already finished ({job.status})")
    return job


# --------------------------------------------------------------------------------------------
# Running a job (the body of the Celery task)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """A worker's hold on one attempt of a job."""

    job_id: uuid.UUID
    token: uuid.UUID
    attempt: int


def worker_name() -> str:
    return f"{socket.gethostname()}/{os.getpid()}"


def _held(claim: Claim) -> QuerySet[SimulationJob]:
    """The job row, only while this claim still holds it."""
    return SimulationJob.objects.filter(
        pk=claim.job_id, run_token=claim.token, status=JobStatus.RUNNING
    )


def job_claim(job_id: Any, *, worker: str) -> Claim | None:
    """PENDING → RUNNING, once per attempt; None when the job is not PENDING (nothing to do)."""
    token = uuid.uuid4()
    now = timezone.now()
    with transaction.atomic():
        claimed = SimulationJob.objects.filter(pk=job_id, status=JobStatus.PENDING).update(
            status=JobStatus.RUNNING,
            attempts=F("attempts") + 1,
            run_token=token,
            worker=worker[:255],
            rounds_done=0,
            started_at=now,
            heartbeat_at=now,
            updated_at=now,
        )
        if not claimed:
            return None
        attempt = SimulationJob.objects.values_list("attempts", flat=True).get(pk=job_id)
        _event(job_id, EventKind.STARTED, attempt, worker)
    return Claim(uuid.UUID(str(job_id)), token, attempt)


def job_heartbeat(claim: Claim, rounds_done: int | None = None) -> bool:
    """Record that the run is alive (and its progress); False when the claim was lost."""
    now = timezone.now()
    fields: dict[str, Any] = {"heartbeat_at": now, "updated_at": now}
    if rounds_done is not None:
        fields["rounds_done"] = rounds_done
    return _held(claim).update(**fields) == 1


def job_progress_from_shards(job_id: Any) -> bool:
    """A sharded job's progress: the sum over its shards (and a heartbeat), while RUNNING."""
    from service.simulator.models import JobShard

    now = timezone.now()
    done = (
        JobShard.objects.filter(job_id=OuterRef("pk"))
        .values("job_id")
        .annotate(total=Sum("rounds_done"))
        .values("total")
    )
    return (
        SimulationJob.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
            rounds_done=Coalesce(Subquery(done), 0), heartbeat_at=now, updated_at=now
        )
        == 1
    )


def job_stop_reason(claim: Claim) -> str | None:
    """Why the run should stop now: ``"cancel"``, ``"lost"`` (claim taken away) or None."""
    row = (
        SimulationJob.objects.filter(pk=claim.job_id)
        .values("status", "run_token", "cancel_requested")
        .first()
    )
    if row is None or row["status"] != JobStatus.RUNNING or row["run_token"] != claim.token:
        return "lost"
    return "cancel" if row["cancel_requested"] else None


def _finish(claim: Claim, status: str, kind: str, message: str = "", **fields: Any) -> bool:
    now = timezone.now()
    with transaction.atomic():
        done = _held(claim).update(
            status=status, finished_at=now, heartbeat_at=now, updated_at=now, **fields
        )
        if done:
            _event(claim.job_id, kind, claim.attempt, message)
    if not done:
        logger.warning("job %s attempt %s lost its claim", claim.job_id, claim.attempt)
    return done == 1


def job_complete(claim: Claim, result: dict[str, Any]) -> bool:
    return _finish(
        claim,
        JobStatus.COMPLETE,
        EventKind.COMPLETED,
        result_data=result,
        rounds_done=F("rounds_total"),
        error="",
    )


def job_fail(claim: Claim, error: str) -> bool:
    return _finish(claim, JobStatus.FAILED, EventKind.FAILED, error, error=error)


def job_mark_cancelled(claim: Claim) -> bool:
    return _finish(claim, JobStatus.CANCELLED, EventKind.CANCELLED, "stopped by its owner")


class _Heartbeat(threading.Thread):
    """Keeps a running job's heartbeat fresh even while the engine is busy in one long chunk."""

    def __init__(self, claim: Any, interval: float) -> None:
        super().__init__(name=f"heartbeat-{claim.job_id}", daemon=True)
        self.claim = claim
        self.interval = interval
        self.stopped = threading.Event()

    def beat(self) -> bool:
        """One heartbeat; False when the claim was lost (the thread stops then)."""
        return job_heartbeat(self.claim)

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.interval):
                try:
                    if not self.beat():
                        return
                except Exception:  # a database hiccup: the next beat tries again
                    logger.warning("heartbeat of job %s failed", self.claim.job_id, exc_info=True)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=10)


class _RunWatch:
    """The engine's progress and cancel callbacks: at most one row write/read per interval."""

    def __init__(self, claim: Any, deadline: float, interval: float) -> None:
        self.claim = claim
        self.deadline = deadline
        self.interval = interval
        self.last_write = time.monotonic()
        self.last_check = float("-inf")
        self.stop_reason: str | None = None

    def progress(self, rounds_done: int, rounds_total: int) -> None:
        now = time.monotonic()
        if now - self.last_write >= self.interval:
            self.last_write = now
            if not self.write_progress(rounds_done):
                self.stop_reason = self.stop_reason or "lost"
            else:
                live.job_progress_written(self.claim.job_id)  # ≤ 1/s per job; never raises

    def write_progress(self, rounds_done: int) -> bool:
        return job_heartbeat(self.claim, rounds_done)

    def read_stop_reason(self) -> str | None:
        return job_stop_reason(self.claim)

    def should_stop(self) -> bool:
        if self.stop_reason is not None:
            return True
        now = time.monotonic()
        if now >= self.deadline:
            self.stop_reason = "time"
        elif now - self.last_check >= self.interval:
            self.last_check = now
            self.stop_reason = self.read_stop_reason()
        return self.stop_reason is not None


def _config_error_text(exc: ConfigError) -> str:
    return "; ".join(f"{p.get('path') or '(document)'}: {p.get('message')}" for p in exc.problems)


def run_failure(
    exc: Exception,
    *,
    stop_reason: str | None,
    cancelled_on: tuple[str, ...],
    limit: float,
    what: str,
    fail: Callable[[str], object],
    stop: Callable[[], object],
    lost: str,
) -> str:
    """What a run (a whole job or a shard) that raised comes to, with the reason recorded.

    ``"cancelled"`` (``stop`` called) when it was stopped for one of ``cancelled_on``;
    ``"lost"`` when its claim was taken (nothing is written: another worker owns it now);
    otherwise ``"failed"``, with a readable reason given to ``fail``.
    """
    if isinstance(exc, SimulationCancelled | SoftTimeLimitExceeded):
        reason = stop_reason or ("time" if isinstance(exc, SoftTimeLimitExceeded) else "stopped")
        if reason in cancelled_on:
            stop()
            return "cancelled"
        if reason == "lost":
            logger.warning(lost)
            return "lost"
        if reason == "time":
            fail(f"time limit exceeded: {what} ran longer than {limit:,.0f} s")
        else:
            fail("the simulation stopped unexpectedly")
    elif isinstance(exc, ConfigError):
        fail(f"the engine refused the config: {_config_error_text(exc)}")
    else:
        logger.error("%s failed", what, exc_info=exc)
        fail(f"the simulation failed: {type(exc).__name__}: {exc}")
    return "failed"


def job_run(job_id: Any, *, worker: str | None = None, time_limit_s: float | None = None) -> str:
    """Claim a job and run it to COMPLETE, FAILED or CANCELLED; returns what happened.

    ``"skipped"``: the job was not PENDING (a duplicate or stale message). ``"lost"``: the
    claim was taken away while running (the reaper decided this worker was dead); nothing is
    written then. Inside Celery's prefork children the engine must not start processes, so it
    runs with ``workers=1``: scale comes from more Celery workers.
    """
    claim = job_claim(job_id, worker=worker or worker_name())
    if claim is None:
        logger.info("job %s is not pending; message dropped", job_id)
        return "skipped"
    job = SimulationJob.objects.only("request_data", "rounds_total").get(pk=job_id)
    limit = time_limit_s or time_limits(job.rounds_total)[0]
    watch = _RunWatch(claim, time.monotonic() + limit, settings.JOST_PROGRESS_INTERVAL_S)
    heartbeat = _Heartbeat(claim, settings.JOST_HEARTBEAT_S)
    heartbeat.start()
    try:
        result = run_simulation_from_config(
            job.request_data, progress=watch.progress, cancel=watch.should_stop, workers=1
        )
    except Exception as exc:
        return run_failure(
            exc,
            stop_reason=watch.stop_reason,
            cancelled_on=("cancel",),
            limit=limit,
            what=f"job {job_id}",
            fail=partial(job_fail, claim),
            stop=partial(job_mark_cancelled, claim),
            lost=f"job {job_id} attempt {claim.attempt} was taken from this worker",
        )
    finally:
        heartbeat.stop()
    return "complete" if job_complete(claim, result.to_dict()) else "lost"


# --------------------------------------------------------------------------------------------
# The reaper
# --------------------------------------------------------------------------------------------


def jobs_reap(*, now: datetime | None = None) -> dict[str, int]:
    """Recover jobs a dead worker or a lost message left behind; returns counts per action.

    * RUNNING with no heartbeat for ``JOST_STALE_AFTER_S``: back to PENDING and queued again
      (a new attempt), or FAILED with the reason after ``JOST_MAX_ATTEMPTS`` attempts, or
      CANCELLED if its owner had asked for that.
    * PENDING whose message was never sent (broker down at submit) or was sent longer than
      ``JOST_PENDING_REDISPATCH_S`` ago: sent again (a duplicate message claims nothing).
    * Finished more than ``JOST_RETENTION_DAYS`` ago (when set): deleted, results by policy.
    * The shards of sharded jobs, by the same rules (`shard_services.shards_reap`).
    """
    now = now or timezone.now()
    stale_after = settings.JOST_STALE_AFTER_S
    cutoff = now - timedelta(seconds=stale_after)
    counts = {"requeued": 0, "failed": 0, "cancelled": 0, "redispatched": 0, "expired": 0}
    stale = SimulationJob.objects.filter(status=JobStatus.RUNNING, shard_count=0).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )
    for job in stale.only("id", "run_token", "attempts", "cancel_requested", "worker")[:500]:
        unchanged = SimulationJob.objects.filter(
            Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True),
            pk=job.pk,
            status=JobStatus.RUNNING,
            run_token=job.run_token,
        )
        silent = f"no heartbeat for {stale_after:g} s from worker {job.worker or '?'}"
        with transaction.atomic():
            if job.cancel_requested:
                if unchanged.update(status=JobStatus.CANCELLED, finished_at=now, updated_at=now):
                    _event(job.pk, EventKind.CANCELLED, job.attempts, f"{silent}; cancelled")
                    counts["cancelled"] += 1
            elif job.attempts >= settings.JOST_MAX_ATTEMPTS:
                error = (
                    f"gave up after {job.attempts} attempts: the worker running the job "
                    f"stopped ({silent} during attempt {job.attempts})"
                )
                if unchanged.update(
                    status=JobStatus.FAILED, error=error, finished_at=now, updated_at=now
                ):
                    _event(job.pk, EventKind.FAILED, job.attempts, error)
                    counts["failed"] += 1
            elif unchanged.update(
                status=JobStatus.PENDING,
                run_token=None,
                worker="",
                rounds_done=0,
                heartbeat_at=None,
                queued_at=now,
                updated_at=now,
            ):
                _event(job.pk, EventKind.REQUEUED, job.attempts, f"{silent}; queued again")
                counts["requeued"] += 1
                rounds = SimulationJob.objects.values_list("rounds_total", flat=True).get(pk=job.pk)
                transaction.on_commit(partial(job_dispatch, job.pk, rounds), robust=True)
    lost = SimulationJob.objects.filter(status=JobStatus.PENDING, shard_count=0).filter(
        Q(queued_at__isnull=True, created_at__lt=now - timedelta(seconds=10))
        | Q(queued_at__lt=now - timedelta(seconds=settings.JOST_PENDING_REDISPATCH_S))
    )
    for job_id, rounds in lost.values_list("id", "rounds_total")[:500]:
        marked = SimulationJob.objects.filter(pk=job_id, status=JobStatus.PENDING).update(
            queued_at=now
        )
        if marked and job_dispatch(job_id, rounds):
            counts["redispatched"] += 1
    if settings.JOST_RETENTION_DAYS > 0:
        expired = SimulationJob.objects.filter(
            status__in=FINISHED,
            finished_at__lt=now - timedelta(days=settings.JOST_RETENTION_DAYS),
        )
        counts["expired"] = expired.delete()[1].get(SimulationJob._meta.label, 0)
    from service.simulator.shard_services import shards_reap

    for action, count in shards_reap(now=now).items():
        counts[action] = counts.get(action, 0) + count
    if any(counts.values()):
        logger.info("reaper: %s", counts)
    return counts
