"""One job across many workers: shard rows, shard runs, and the exact merge in the database.

A job of more than ``JOST_SHARD_ROUNDS`` rounds is cut, at submit, into `JobShard` rows: runs of
consecutive engine shards (``jost_engine.plan_shards``) of about ``JOST_SHARD_ROUNDS`` rounds.
Each row gets a Celery message on the shards queue, and any worker may run any shard. The rules
are those of a whole job, per shard: both are leased rows (`leases`).

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
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from jost_engine import Config, Tally, merge_results, parse_config, plan_shards, run_shards
from service.simulator import deliveries, leases
from service.simulator.events import record_event
from service.simulator.models import EventKind, JobShard, JobStatus, SimulationJob

logger = logging.getLogger(__name__)

SHARDS = leases.Ledger(JobShard, task="simulator.run_jost_shard_task")


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
    row = {"job_id": job_id, "index": index}
    return leases.dispatch(
        SHARDS, row, [str(job_id), index], rounds, queue=settings.JOST_SHARD_QUEUE
    )


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
class ShardClaim(leases.Lease):
    """A worker's hold on one attempt of one shard."""

    index: int

    @property
    def what(self) -> str:
        return f"shard {self.index} of job {self.job_id}"


def _lock_job(job_id: Any) -> SimulationJob | None:
    """The job row, locked until the transaction ends: every shard transition takes it first."""
    return (
        SimulationJob.objects.select_for_update()
        .only("id", "status", "cancel_requested", "shard_count", "attempts")
        .filter(pk=job_id)
        .first()
    )


def shard_claim(job_id: Any, index: int, *, worker: str) -> ShardClaim | None:
    """PENDING → RUNNING for one shard (its job becomes RUNNING with the first); None if not."""
    now = timezone.now()
    with transaction.atomic():
        job = _lock_job(job_id)
        if job is None or job.status not in (JobStatus.PENDING, JobStatus.RUNNING):
            return None
        if job.cancel_requested:
            return None
        claim = leases.claim(
            JobShard.objects.filter(job_id=job_id, index=index),
            SHARDS,
            job_id=job_id,
            worker=worker,
            now=now,
            lease=ShardClaim,
            index=index,
        )
        if claim is None:
            return None
        jobs = SimulationJob.objects.filter(pk=job_id)
        if jobs.filter(status=JobStatus.PENDING).update(
            status=JobStatus.RUNNING,
            attempts=1,
            worker=worker[:255],
            started_at=now,
            heartbeat_at=now,
            updated_at=now,
        ):
            record_event(
                job_id, EventKind.STARTED, 1, f"{job.shard_count} shards; first on {worker}"
            )
        # a job's attempts are its most-tried shard's
        jobs.update(
            attempts=Greatest(F("attempts"), claim.attempt), heartbeat_at=now, updated_at=now
        )
    return claim


def job_progress_from_shards(job_id: Any) -> bool:
    """A sharded job's progress: the sum over its shards (and a heartbeat), while RUNNING."""
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


def shard_heartbeat(claim: ShardClaim, rounds_done: int | None = None) -> bool:
    """The shard is alive (and its progress, summed into the job's); False if the claim is lost."""
    held = leases.heartbeat(claim, rounds_done)
    if held and rounds_done is not None:
        job_progress_from_shards(claim.job_id)
    return held


def shard_stop_reason(claim: ShardClaim) -> str | None:
    """``"lost"`` (the claim was taken away), ``"cancel"`` (its owner asked), ``"job_over"``
    (another shard failed the job) or None: keep going."""
    row = leases.still_held(claim, "job__status", "job__cancel_requested")
    if row is None:
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
        stored = leases.finish(claim, status, now=now, **fields)
        if stored:
            if status == JobStatus.FAILED:
                record_event(
                    claim.job_id,
                    EventKind.SHARD_FAILED,
                    claim.attempt,
                    f"shard {claim.index}: {fields.get('error', '')}",
                )
            _settle(claim.job_id, now)
    return stored


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
        record_event(job_id, EventKind.COMPLETED, job.attempts, f"merged {job.shard_count} shards")
        return JobStatus.COMPLETE
    if counts.get(JobStatus.FAILED, 0):
        failed = shards.filter(status=JobStatus.FAILED).order_by("index").first()
        assert failed is not None
        error = f"shard {failed.index} of {job.shard_count} failed: {failed.error}"
        shards.filter(status=JobStatus.PENDING).update(status=JobStatus.CANCELLED, finished_at=now)
        unfinished.update(status=JobStatus.FAILED, error=error, finished_at=now, updated_at=now)
        record_event(job_id, EventKind.FAILED, job.attempts, error)
        return JobStatus.FAILED
    if job.cancel_requested:
        shards.filter(status=JobStatus.PENDING).update(status=JobStatus.CANCELLED, finished_at=now)
        if counts.get(JobStatus.RUNNING, 0) == 0:
            unfinished.update(status=JobStatus.CANCELLED, finished_at=now, updated_at=now)
            record_event(job_id, EventKind.CANCELLED, job.attempts, "every shard stopped")
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


def _play(config: dict[str, Any], shard: JobShard, watch: leases.RunWatch) -> dict[str, Any]:
    """Play the shard's engine shards, one after the other, and merge them into one tally."""
    cfg = parse_config(config)
    first = shard.first_engine_shard
    parts = run_shards(
        cfg,
        plan_shards(cfg)[first : first + shard.engine_shard_count],
        progress=lambda done: watch.progress(done, shard.rounds_total),
        should_stop=watch.should_stop,
    )
    return merge_results(parts).tally.to_dict()


def shard_run(
    job_id: Any, index: int, *, worker: str | None = None, time_limit_s: float | None = None
) -> str:
    """Claim one shard and run it; ``"complete"``, ``"skipped"`` (not PENDING: a duplicate or
    stale message), ``"cancelled"``, ``"failed"`` or ``"lost"`` (claim taken away)."""
    claim = shard_claim(job_id, index, worker=worker or leases.worker_name())
    if claim is None:
        logger.info("shard %s of job %s is not pending; message dropped", index, job_id)
        return "skipped"
    shard = JobShard.objects.only("first_engine_shard", "engine_shard_count", "rounds_total").get(
        pk=claim.pk
    )
    config = SimulationJob.objects.values_list("request_data", flat=True).get(pk=job_id)
    return leases.run(
        claim,
        limit=time_limit_s or leases.time_limits(shard.rounds_total)[0],
        play=partial(_play, config, shard),
        heartbeat=shard_heartbeat,
        stop_reason=shard_stop_reason,
        complete=shard_complete,
        fail=shard_fail,
        stopped=shard_stopped,
        cancelled_on=("cancel", "job_over"),
    )


# --------------------------------------------------------------------------------------------
# The reaper's part
# --------------------------------------------------------------------------------------------


class _ShardReaper(leases.Reaper):
    """Shards by the rules of `leases.Reaper`, each judged under its job's lock: a shard of a
    job cancelled or over is cancelled; failing a shard's last attempt fails its job."""

    ledger = SHARDS
    subject = "it"
    fields = ("job_id", "index", "rounds_total")

    def begin(self, row: dict[str, Any]) -> bool | None:
        job = _lock_job(row["job_id"])
        if job is None:
            return None
        return job.cancel_requested or job.status != JobStatus.RUNNING

    def cancelled(self, row: dict[str, Any], silent: str, now: datetime) -> None:
        _settle(row["job_id"], now)

    def failed(self, row: dict[str, Any], error: str, now: datetime) -> None:
        message = f"shard {row['index']}: {error}"
        record_event(row["job_id"], EventKind.SHARD_FAILED, row["attempts"], message)
        _settle(row["job_id"], now)

    def requeued(self, row: dict[str, Any], silent: str, now: datetime) -> None:
        message = f"shard {row['index']}: {silent}; queued again"
        record_event(row["job_id"], EventKind.SHARD_REQUEUED, row["attempts"], message)
        job_progress_from_shards(row["job_id"])
        transaction.on_commit(partial(self.send, row), robust=True)

    queue = settings.JOST_SHARD_QUEUE

    def unheard(self, now: datetime) -> QuerySet:
        live = (JobStatus.PENDING, JobStatus.RUNNING)
        return super().unheard(now).filter(job__status__in=live)

    def key(self, row: dict[str, Any]) -> str:
        return deliveries.row_key([row["job_id"], row["index"]])

    def lost(self, now: datetime, cutoff: datetime) -> QuerySet:
        """Never sent, or passed over (sent longer ago and not held: `Reaper.unheard`).

        Passed over: a shard of its job sent after it was claimed long ago. The queue is first
        in, first out, so a worker took this one first and died before claiming it.
        """
        passed_over = JobShard.objects.filter(
            job_id=OuterRef("job_id"), started_at__lt=cutoff
        ).filter(
            Q(queued_at__gt=OuterRef("queued_at"))
            | Q(queued_at=OuterRef("queued_at"), index__gt=OuterRef("index"))
        )
        return JobShard.objects.filter(
            status=JobStatus.PENDING, job__status__in=(JobStatus.PENDING, JobStatus.RUNNING)
        ).filter(Q(queued_at__isnull=True) | Q(Exists(passed_over), queued_at__lt=cutoff))

    def send(self, row: dict[str, Any]) -> bool:
        return shard_dispatch(row["job_id"], row["index"], row["rounds_total"])


def shards_reap(*, now: datetime) -> dict[str, int]:
    """Re-queue shards whose worker went silent (or fail the job after ``JOST_MAX_ATTEMPTS``
    attempts of one shard, or cancel them when asked) and re-send shards whose message was lost:
    never sent, passed over (a worker died between taking it and claiming the shard), or sent
    longer than ``JOST_PENDING_REDISPATCH_S`` ago and no longer held by the broker
    (`deliveries`). A needless extra message claims nothing.
    """
    return _ShardReaper().reap(now)
