"""One job across many workers: shard rows, shard runs, and the exact merge in the database.

A job of more than ``JOST_SHARD_ROUNDS`` rounds is cut, at submit, into `JobShard` rows: runs of
consecutive engine shards (``jost_engine.plan_shards``) of about ``JOST_SHARD_ROUNDS`` rounds.
Each row gets a Celery message on the shards queue, and any worker may run any shard. The rules
are those of a whole job (`services`), per shard:

* A shard is claimed by one conditional UPDATE (``PENDING → RUNNING``, a new ``run_token``);
  every later write of that run is conditional on still holding the token, so a re-delivered or
  re-run shard can never store a second tally.
* Every transaction that moves shards locks the job row first (``select_for_update``), so
  "is this the last shard?" is asked by one transaction at a time: the one that stores the last
  tally merges all of them with the engine's ``merge_results`` and marks the job COMPLETE in
  that same transaction. No chord, no coordinator.
* A job's progress is the sum over its shards; cancel stops every shard; the reaper re-queues a
  shard whose heartbeat stopped, and fails the job after ``JOST_MAX_ATTEMPTS`` attempts of one
  shard, with the reason.

Engine shards carry their own RNG streams and integer tallies, so however shards are grouped,
ordered or re-run, the merged result is the one ``run_simulation_from_config`` gives locally.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Greatest
from django.utils import timezone

from jost_engine import (
    Config,
    merge_results,
    parse_config,
    plan_shards,
)
from jost_engine.result import Tally, merge_tallies
from jost_engine.shards import run_shard
from jost_engine.table import prepare
from service.simulator import services
from service.simulator.models import EventKind, JobShard, JobStatus, SimulationJob

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------
# The plan
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShardSpan:
    """A service shard: engine shards ``[first, first + count)`` and their rounds."""

    index: int
    first: int
    count: int
    rounds: int


def plan_job_shards(config: Config, shard_rounds: int) -> list[ShardSpan]:
    """Group the engine's shard plan into about ``rounds / shard_rounds`` even, contiguous runs.

    Only the grouping depends on the service's setting; the engine shards (and so the result)
    depend on the config alone.
    """
    engine = plan_shards(config)
    wanted = -(-config.simulation.rounds // max(1, shard_rounds))
    groups = max(1, min(len(engine), wanted))
    base, extra = divmod(len(engine), groups)
    spans, first = [], 0
    for index in range(groups):
        count = base + (1 if index < extra else 0)
        rounds = sum(s.rounds for s in engine[first : first + count])
        spans.append(ShardSpan(index, first, count, rounds))
        first += count
    return spans


def shards_create(job: SimulationJob, config: Config, *, now: datetime) -> int:
    """Write a new job's shard rows (inside the submit transaction); returns how many."""
    spans = plan_job_shards(config, settings.JOST_SHARD_ROUNDS)
    JobShard.objects.bulk_create(
        JobShard(
            job=job,
            index=span.index,
            first_engine_shard=span.first,
            engine_shard_count=span.count,
            rounds_total=span.rounds,
            queued_at=now,
        )
        for span in spans
    )
    SimulationJob.objects.filter(pk=job.pk).update(shard_count=len(spans))
    job.shard_count = len(spans)
    return len(spans)


# --------------------------------------------------------------------------------------------
# Dispatch
# --------------------------------------------------------------------------------------------


def shard_dispatch(job_id: Any, index: int, rounds: int) -> bool:
    """Send one shard's message; False (logged, ``queued_at`` cleared for the reaper) if refused."""
    from service.simulator.tasks import run_jost_shard_task

    soft, hard = services.time_limits(rounds)
    try:
        run_jost_shard_task.apply_async(
            args=[str(job_id), index],
            queue=settings.JOST_SHARD_QUEUE,
            soft_time_limit=soft,
            time_limit=hard,
        )
    except Exception:
        logger.exception("could not queue shard %s of job %s; the reaper will", index, job_id)
        JobShard.objects.filter(job_id=job_id, index=index, status=JobStatus.PENDING).update(
            queued_at=None
        )
        return False
    return True


def shards_dispatch(job_id: Any) -> int:
    """Send a message for every PENDING shard of a job (after its submit commits)."""
    pending = JobShard.objects.filter(job_id=job_id, status=JobStatus.PENDING)
    sent = 0
    for index, rounds in pending.values_list("index", "rounds_total"):
        sent += shard_dispatch(job_id, index, rounds)
    return sent


# --------------------------------------------------------------------------------------------
# Claims and the writes of a run
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShardClaim:
    """A worker's hold on one attempt of one shard."""

    job_id: uuid.UUID
    index: int
    token: uuid.UUID
    attempt: int


def _lock_job(job_id: Any) -> SimulationJob | None:
    """The job row, locked until the transaction ends: every shard transition takes it first."""
    return (
        SimulationJob.objects.select_for_update()
        .only("id", "status", "cancel_requested", "shard_count", "attempts")
        .filter(pk=job_id)
        .first()
    )


def _held(claim: ShardClaim) -> QuerySet[JobShard]:
    return JobShard.objects.filter(
        job_id=claim.job_id, index=claim.index, run_token=claim.token, status=JobStatus.RUNNING
    )


def shard_claim(job_id: Any, index: int, *, worker: str) -> ShardClaim | None:
    """PENDING → RUNNING for one shard (its job becomes RUNNING with the first); None if not."""
    token = uuid.uuid4()
    now = timezone.now()
    with transaction.atomic():
        job = _lock_job(job_id)
        if job is None or job.status not in (JobStatus.PENDING, JobStatus.RUNNING):
            return None
        if job.cancel_requested:
            return None
        claimed = JobShard.objects.filter(
            job_id=job_id, index=index, status=JobStatus.PENDING
        ).update(
            status=JobStatus.RUNNING,
            attempts=F("attempts") + 1,
            run_token=token,
            worker=worker[:255],
            rounds_done=0,
            started_at=now,
            heartbeat_at=now,
        )
        if not claimed:
            return None
        attempt = JobShard.objects.values_list("attempts", flat=True).get(
            job_id=job_id, index=index
        )
        jobs = SimulationJob.objects.filter(pk=job_id)
        if jobs.filter(status=JobStatus.PENDING).update(
            status=JobStatus.RUNNING,
            attempts=1,
            worker=worker[:255],
            started_at=now,
            heartbeat_at=now,
            updated_at=now,
        ):
            services._event(
                job_id, EventKind.STARTED, 1, f"{job.shard_count} shards; first on {worker}"
            )
        # a job's attempts are its most-tried shard's
        jobs.update(attempts=Greatest(F("attempts"), attempt), heartbeat_at=now, updated_at=now)
    return ShardClaim(uuid.UUID(str(job_id)), index, token, attempt)


def shard_heartbeat(claim: ShardClaim, rounds_done: int | None = None) -> bool:
    """The shard is alive (and its progress, summed into the job's); False if the claim is lost."""
    fields: dict[str, Any] = {"heartbeat_at": timezone.now()}
    if rounds_done is not None:
        fields["rounds_done"] = rounds_done
    held = _held(claim).update(**fields) == 1
    if held and rounds_done is not None:
        services.job_progress_from_shards(claim.job_id)
    return held


def shard_stop_reason(claim: ShardClaim) -> str | None:
    """``"lost"`` (the claim was taken away), ``"cancel"`` (its owner asked), ``"job_over"``
    (another shard failed the job) or None: keep going."""
    row = (
        JobShard.objects.filter(job_id=claim.job_id, index=claim.index)
        .values("status", "run_token", "job__status", "job__cancel_requested")
        .first()
    )
    if row is None or row["status"] != JobStatus.RUNNING or row["run_token"] != claim.token:
        return "lost"
    if row["job__cancel_requested"]:
        return "cancel"
    return None if row["job__status"] == JobStatus.RUNNING else "job_over"


def _finish_shard(claim: ShardClaim, status: str, **fields: Any) -> bool:
    """Store a shard's end while holding its claim, then settle the job, under the job's lock."""
    now = timezone.now()
    with transaction.atomic():
        if _lock_job(claim.job_id) is None:
            return False
        stored = _held(claim).update(status=status, finished_at=now, heartbeat_at=now, **fields)
        if stored:
            if status == JobStatus.FAILED:
                services._event(
                    claim.job_id,
                    EventKind.SHARD_FAILED,
                    claim.attempt,
                    f"shard {claim.index}: {fields.get('error', '')}",
                )
            _settle(claim.job_id, now)
    if not stored:
        logger.warning(
            "shard %s of job %s (attempt %s) lost its claim",
            claim.index,
            claim.job_id,
            claim.attempt,
        )
    return stored == 1


def shard_complete(claim: ShardClaim, tally: dict[str, Any]) -> bool:
    """Store the shard's tally once; the last shard's transaction merges and completes the job."""
    return _finish_shard(claim, JobStatus.COMPLETE, tally=tally, rounds_done=F("rounds_total"))


def shard_fail(claim: ShardClaim, error: str) -> bool:
    return _finish_shard(claim, JobStatus.FAILED, error=error)


def shard_stopped(claim: ShardClaim) -> bool:
    """The shard stopped because its job was cancelled or is over."""
    return _finish_shard(claim, JobStatus.CANCELLED)


# --------------------------------------------------------------------------------------------
# Settling a job from its shards (always with the job row locked)
# --------------------------------------------------------------------------------------------


def _settle(job_id: Any, now: datetime) -> str | None:
    """Finish the job if its shards say so: COMPLETE (merged), FAILED or CANCELLED; else None.

    Called inside a transaction that holds the job's lock, after any shard changed state.
    """
    job = SimulationJob.objects.only(
        "id", "status", "cancel_requested", "shard_count", "attempts", "started_at"
    ).get(pk=job_id)
    if job.status not in (JobStatus.PENDING, JobStatus.RUNNING):
        return None
    shards = JobShard.objects.filter(job_id=job_id)
    counts = dict(shards.values_list("status").annotate(n=Count("id")).order_by())
    unfinished = SimulationJob.objects.filter(
        pk=job_id, status__in=(JobStatus.PENDING, JobStatus.RUNNING)
    )
    if counts.get(JobStatus.COMPLETE, 0) == job.shard_count:
        request_data = SimulationJob.objects.values_list("request_data", flat=True).get(pk=job_id)
        tallies = [
            Tally.from_dict(t) for t in shards.order_by("index").values_list("tally", flat=True)
        ]
        started = job.started_at or now
        result = merge_results(
            tallies, request_data, elapsed_s=max((now - started).total_seconds(), 1e-6)
        )
        unfinished.update(
            status=JobStatus.COMPLETE,
            result_data=result.to_dict(),
            rounds_done=F("rounds_total"),
            error="",
            finished_at=now,
            heartbeat_at=now,
            updated_at=now,
        )
        services._event(
            job_id, EventKind.COMPLETED, job.attempts, f"merged {job.shard_count} shards"
        )
        return JobStatus.COMPLETE
    if counts.get(JobStatus.FAILED, 0):
        failed = shards.filter(status=JobStatus.FAILED).order_by("index").first()
        assert failed is not None
        error = f"shard {failed.index} of {job.shard_count} failed: {failed.error}"
        shards.filter(status=JobStatus.PENDING).update(status=JobStatus.CANCELLED, finished_at=now)
        unfinished.update(status=JobStatus.FAILED, error=error, finished_at=now, updated_at=now)
        services._event(job_id, EventKind.FAILED, job.attempts, error)
        return JobStatus.FAILED
    if job.cancel_requested:
        shards.filter(status=JobStatus.PENDING).update(status=JobStatus.CANCELLED, finished_at=now)
        if counts.get(JobStatus.RUNNING, 0) == 0:
            unfinished.update(status=JobStatus.CANCELLED, finished_at=now, updated_at=now)
            services._event(job_id, EventKind.CANCELLED, job.attempts, "every shard stopped")
            return JobStatus.CANCELLED
    return None


def shards_cancel(job_id: Any, *, now: datetime) -> None:
    """Cancel a sharded job's shards: those not started at once, running ones at their next
    check; the job ends CANCELLED when none runs any more (inside `services.job_cancel`)."""
    job = _lock_job(job_id)
    if job is None:
        return
    pending = JobShard.objects.filter(job_id=job_id, status=JobStatus.PENDING)
    pending.update(status=JobStatus.CANCELLED, finished_at=now)
    if job.status == JobStatus.RUNNING:
        _settle(job_id, now)


# --------------------------------------------------------------------------------------------
# Running a shard (the body of the Celery task)
# --------------------------------------------------------------------------------------------


class _ShardHeartbeat(services._Heartbeat):
    def beat(self) -> bool:
        return shard_heartbeat(self.claim)


class _ShardWatch(services._RunWatch):
    def write_progress(self, rounds_done: int) -> bool:
        return shard_heartbeat(self.claim, rounds_done)

    def read_stop_reason(self) -> str | None:
        return shard_stop_reason(self.claim)


def shard_run(
    job_id: Any, index: int, *, worker: str | None = None, time_limit_s: float | None = None
) -> str:
    """Claim one shard and run it; ``"complete"``, ``"skipped"`` (not PENDING: a duplicate or
    stale message), ``"cancelled"``, ``"failed"`` or ``"lost"`` (claim taken away)."""
    claim = shard_claim(job_id, index, worker=worker or services.worker_name())
    if claim is None:
        logger.info("shard %s of job %s is not pending; message dropped", index, job_id)
        return "skipped"
    shard = JobShard.objects.only("first_engine_shard", "engine_shard_count", "rounds_total").get(
        job_id=job_id, index=index
    )
    config = SimulationJob.objects.values_list("request_data", flat=True).get(pk=job_id)
    limit = time_limit_s or services.time_limits(shard.rounds_total)[0]
    watch = _ShardWatch(claim, time.monotonic() + limit, settings.JOST_PROGRESS_INTERVAL_S)
    heartbeat = _ShardHeartbeat(claim, settings.JOST_HEARTBEAT_S)
    heartbeat.start()
    try:
        cfg = parse_config(config)
        tables = prepare(cfg)
        engine_shards = plan_shards(cfg)[
            shard.first_engine_shard : shard.first_engine_shard + shard.engine_shard_count
        ]
        parts, played = [], 0
        for engine_shard in engine_shards:

            def report(done: int, base: int = played) -> None:
                watch.progress(base + done, shard.rounds_total)

            parts.append(
                run_shard(
                    cfg, engine_shard, progress=report, should_stop=watch.should_stop, tables=tables
                )
            )
            played += engine_shard.rounds
        tally = merge_tallies(parts).to_dict()
    except Exception as exc:
        return services.run_failure(
            exc,
            stop_reason=watch.stop_reason,
            cancelled_on=("cancel", "job_over"),
            limit=limit,
            what=f"shard {index} of job {job_id}",
            fail=partial(shard_fail, claim),
            stop=partial(shard_stopped, claim),
            lost=f"shard {index} of job {job_id} was taken from this worker",
        )
    finally:
        heartbeat.stop()
    return "complete" if shard_complete(claim, tally) else "lost"


# --------------------------------------------------------------------------------------------
# The reaper's part
# --------------------------------------------------------------------------------------------


def shards_reap(*, now: datetime) -> dict[str, int]:
    """Re-queue shards whose worker went silent (or fail the job after ``JOST_MAX_ATTEMPTS``
    attempts of one shard, or cancel them when asked) and re-send shards whose message was lost:
    never sent, passed over (a worker died between taking it and claiming the shard), or sent
    longer than ``JOST_PENDING_REDISPATCH_S`` ago. A needless extra message claims nothing.
    """
    stale_after = settings.JOST_STALE_AFTER_S
    cutoff = now - timedelta(seconds=stale_after)
    counts = {"requeued": 0, "failed": 0, "cancelled": 0, "redispatched": 0}
    stale = JobShard.objects.filter(status=JobStatus.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )
    rows = stale.values("id", "job_id", "index", "run_token", "attempts", "worker", "rounds_total")
    for shard in rows[:500]:
        unchanged = JobShard.objects.filter(
            Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True),
            pk=shard["id"],
            status=JobStatus.RUNNING,
            run_token=shard["run_token"],
        )
        silent = (
            f"shard {shard['index']}: no heartbeat for {stale_after:g} s "
            f"from worker {shard['worker'] or '?'}"
        )
        attempts = shard["attempts"]
        with transaction.atomic():
            job = _lock_job(shard["job_id"])
            if job is None:
                continue
            if job.cancel_requested or job.status != JobStatus.RUNNING:
                if unchanged.update(status=JobStatus.CANCELLED, finished_at=now):
                    counts["cancelled"] += 1
                    _settle(job.pk, now)
            elif attempts >= settings.JOST_MAX_ATTEMPTS:
                error = (
                    f"gave up after {attempts} attempts: the worker running it stopped "
                    f"(no heartbeat for {stale_after:g} s from worker {shard['worker'] or '?'} "
                    f"during attempt {attempts})"
                )
                if unchanged.update(status=JobStatus.FAILED, error=error, finished_at=now):
                    services._event(
                        job.pk, EventKind.SHARD_FAILED, attempts, f"shard {shard['index']}: {error}"
                    )
                    counts["failed"] += 1
                    _settle(job.pk, now)
            elif unchanged.update(
                status=JobStatus.PENDING,
                run_token=None,
                worker="",
                rounds_done=0,
                heartbeat_at=None,
                queued_at=now,
            ):
                services._event(
                    job.pk, EventKind.SHARD_REQUEUED, attempts, f"{silent}; queued again"
                )
                counts["requeued"] += 1
                services.job_progress_from_shards(job.pk)
                transaction.on_commit(
                    lambda s=shard: shard_dispatch(s["job_id"], s["index"], s["rounds_total"]),
                    robust=True,
                )
    # A shard's message is lost when a shard of its job sent after it was claimed long ago: the
    # queue is first in, first out, so a worker took this one first and died before claiming it.
    passed_over = JobShard.objects.filter(job_id=OuterRef("job_id"), started_at__lt=cutoff).filter(
        Q(queued_at__gt=OuterRef("queued_at"))
        | Q(queued_at=OuterRef("queued_at"), index__gt=OuterRef("index"))
    )
    lost = JobShard.objects.filter(
        status=JobStatus.PENDING, job__status__in=(JobStatus.PENDING, JobStatus.RUNNING)
    ).filter(
        Q(queued_at__isnull=True)
        | Q(queued_at__lt=now - timedelta(seconds=settings.JOST_PENDING_REDISPATCH_S))
        | Q(Exists(passed_over), queued_at__lt=cutoff)
    )
    for pk, job_id, index, rounds in lost.values_list("id", "job_id", "index", "rounds_total")[
        :500
    ]:
        marked = JobShard.objects.filter(pk=pk, status=JobStatus.PENDING).update(queued_at=now)
        if marked and shard_dispatch(job_id, index, rounds):
            counts["redispatched"] += 1
    return counts
