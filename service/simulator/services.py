"""Everything that changes a job: submit, dispatch, cancel, run, reap.

Views and tasks stay thin and call these functions. A job is a leased row (`leases`: one
conditional claim per attempt, every later write conditional on its run token, a reaper for
silent workers and lost messages), so a job that was accepted runs exactly once and is never
lost. Every transition is logged as an event (`events`), which is how watchers hear of it.

A job of more than ``JOST_SHARD_ROUNDS`` rounds runs as shards under the same rules, per shard:
see `shard_services` (submit, cancel and the reaper hand its shards over to it).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from functools import lru_cache, partial
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from jost_engine import (
    Config,
    ConfigError,
    config_digest,
    parse_config,
    run_simulation_from_config,
)
from jost_engine.strategy import bundled_chart, chart_family
from jost_engine.table import prepare
from service.simulator import deliveries, leases, shard_services
from service.simulator.errors import ConfigInvalid, IdempotencyConflict, JobError, JobNotCancellable
from service.simulator.events import record_event
from service.simulator.leases import Lease, time_limits, worker_name
from service.simulator.models import FINISHED, EventKind, JobStatus, SimulationJob
from service.simulator.signals import jobs_reaped

logger = logging.getLogger(__name__)

MAX_IDEMPOTENCY_KEY = 255

# a job's every write also sets its updated_at
JOBS = leases.Ledger(
    SimulationJob, task="simulator.run_jost_simulation_task", stamped=("updated_at",)
)


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
    """Cached: building the kernel's tables is a large part of a submit, and players resubmit
    games.

    ``"basic": "auto"`` is checked with the published chart of the rules' family: the optimal
    chart (`jost_engine.analysis`) takes an analysis far longer than a web request for a rule
    set the process has not seen, which belongs in the worker that plays the game, and what can
    be refused does not depend on which chart is played.
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
            with transaction.atomic():
                job.save(force_insert=True)
                shard_services.shards_create(job, config, now=now)
                transaction.on_commit(partial(shard_services.shards_dispatch, job.pk), robust=True)
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


def job_dispatch(job_id: Any, rounds_total: int) -> bool:
    """Put a message for a PENDING job on the queue; False (logged) when the broker refused it.

    A job whose message could not be sent stays PENDING with no ``queued_at``, and the reaper
    sends it again within seconds, so a broker outage delays jobs but never loses them. (A web
    process killed between the commit and the send leaves ``queued_at`` set: the reaper sends
    that job again once ``JOST_PENDING_REDISPATCH_S`` has passed without its message on the
    broker, like any message a broker restart lost: `deliveries`.)
    """
    return leases.dispatch(JOBS, {"pk": job_id}, [str(job_id)], rounds_total)


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
            record_event(job.pk, EventKind.CANCELLED, job.attempts, "cancelled before it started")
        elif (
            SimulationJob.objects.filter(
                pk=job.pk, status=JobStatus.RUNNING, cancel_requested=False
            ).update(cancel_requested=True, updated_at=now)
            == 1
        ):
            record_event(job.pk, EventKind.CANCEL_REQUESTED, job.attempts)
        if job.shard_count:
            shard_services.shards_cancel(job.pk, now=now)
    job.refresh_from_db()
    if job.status in (JobStatus.COMPLETE, JobStatus.FAILED):
        raise JobNotCancellable(f"job {job.id} already finished ({job.status})")
    return job


# --------------------------------------------------------------------------------------------
# Running a job (the body of the Celery task)
# --------------------------------------------------------------------------------------------


def job_claim(job_id: Any, *, worker: str) -> Lease | None:
    """PENDING → RUNNING, once per attempt; None when the job is not PENDING (nothing to do)."""
    now = timezone.now()
    with transaction.atomic():
        claim = leases.claim(
            SimulationJob.objects.filter(pk=job_id), JOBS, job_id=job_id, worker=worker, now=now
        )
        if claim is not None:
            record_event(job_id, EventKind.STARTED, claim.attempt, worker)
    return claim


def job_heartbeat(claim: Lease, rounds_done: int | None = None) -> bool:
    """Record that the run is alive (and its progress); False when the claim was lost."""
    return leases.heartbeat(claim, rounds_done)


def job_stop_reason(claim: Lease) -> str | None:
    """Why the run should stop now: ``"cancel"``, ``"lost"`` (claim taken away) or None."""
    row = leases.still_held(claim, "cancel_requested")
    if row is None:
        return "lost"
    return "cancel" if row["cancel_requested"] else None


def _finish(claim: Lease, status: str, kind: str, message: str = "", **fields: Any) -> bool:
    with transaction.atomic():
        done = leases.finish(claim, status, now=timezone.now(), **fields)
        if done:
            record_event(claim.job_id, kind, claim.attempt, message)
    return done


def job_complete(claim: Lease, result: dict[str, Any]) -> bool:
    return _finish(
        claim,
        JobStatus.COMPLETE,
        EventKind.COMPLETED,
        result_data=result,
        rounds_done=F("rounds_total"),
        error="",
    )


def job_fail(claim: Lease, error: str) -> bool:
    return _finish(claim, JobStatus.FAILED, EventKind.FAILED, error, error=error)


def job_mark_cancelled(claim: Lease) -> bool:
    return _finish(claim, JobStatus.CANCELLED, EventKind.CANCELLED, "stopped by its owner")


def _play(config: dict[str, Any], watch: leases.RunWatch) -> dict[str, Any]:
    result = run_simulation_from_config(
        config, progress=watch.progress, cancel=watch.should_stop, workers=1
    )
    return result.to_dict()


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
    return leases.run(
        claim,
        limit=time_limit_s or time_limits(job.rounds_total)[0],
        play=partial(_play, job.request_data),
        heartbeat=job_heartbeat,
        stop_reason=job_stop_reason,
        complete=job_complete,
        fail=job_fail,
        stopped=job_mark_cancelled,
        cancelled_on=("cancel",),
    )


# --------------------------------------------------------------------------------------------
# The reaper
# --------------------------------------------------------------------------------------------


class _JobReaper(leases.Reaper):
    """Whole jobs (not sharded) by the rules of `leases.Reaper`; every step logs an event."""

    ledger = JOBS
    fields = ("cancel_requested", "rounds_total")

    def watched(self) -> QuerySet[SimulationJob]:
        return SimulationJob.objects.filter(shard_count=0)

    def begin(self, row: dict[str, Any]) -> bool:
        return row["cancel_requested"]

    def cancelled(self, row: dict[str, Any], silent: str, now: datetime) -> None:
        record_event(row["pk"], EventKind.CANCELLED, row["attempts"], f"{silent}; cancelled")

    def failed(self, row: dict[str, Any], error: str, now: datetime) -> None:
        record_event(row["pk"], EventKind.FAILED, row["attempts"], error)

    def requeued(self, row: dict[str, Any], silent: str, now: datetime) -> None:
        record_event(row["pk"], EventKind.REQUEUED, row["attempts"], f"{silent}; queued again")
        transaction.on_commit(partial(self.send, row), robust=True)

    queue = settings.JOST_QUEUE

    def lost(self, now: datetime, cutoff: datetime) -> QuerySet[SimulationJob]:
        """Never sent (the broker refused it at submit), for ``JOST_PENDING_REDISPATCH_S``."""
        window = timedelta(seconds=settings.JOST_PENDING_REDISPATCH_S)
        return self.watched().filter(
            status=JobStatus.PENDING, queued_at__isnull=True, created_at__lt=now - window
        )

    def key(self, row: dict[str, Any]) -> str:
        return deliveries.row_key([row["pk"]])

    def send(self, row: dict[str, Any]) -> bool:
        return job_dispatch(row["pk"], row["rounds_total"])


def jobs_reap(*, now: datetime | None = None) -> dict[str, int]:
    """Recover jobs a dead worker or a lost message left behind; returns counts per action.

    * RUNNING with no heartbeat for ``JOST_STALE_AFTER_S``: back to PENDING and queued again
      (a new attempt), or FAILED with the reason after ``JOST_MAX_ATTEMPTS`` attempts, or
      CANCELLED if its owner had asked for that.
    * PENDING whose message was never sent (broker down at submit), or was sent longer than
      ``JOST_PENDING_REDISPATCH_S`` ago and the broker no longer holds it (a broker restart, a
      web process that died between commit and send): sent again (a duplicate claims nothing).
    * Finished more than ``JOST_RETENTION_DAYS`` ago (when set): deleted, results by policy.
    * The shards of sharded jobs, by the same rules (`shard_services.shards_reap`).
    """
    now = now or timezone.now()
    counts = _JobReaper().reap(now)
    counts["expired"] = 0
    if settings.JOST_RETENTION_DAYS > 0:
        expired = SimulationJob.objects.filter(
            status__in=FINISHED,
            finished_at__lt=now - timedelta(days=settings.JOST_RETENTION_DAYS),
        )
        counts["expired"] = expired.delete()[1].get(SimulationJob._meta.label, 0)
    for action, count in shard_services.shards_reap(now=now).items():
        counts[action] = counts.get(action, 0) + count
    if any(counts.values()):
        logger.info("reaper: %s", counts)
    jobs_reaped.send_robust(SimulationJob, now=now)
    return counts
