"""One lease mechanism for every row a worker runs: a whole job, or one shard of a job.

A leased row has a ``status``, a ``run_token``, ``attempts``, the ``worker``'s name,
``rounds_done`` and its ``queued_at``, ``started_at``, ``heartbeat_at`` and ``finished_at``
(`SimulationJob` and `JobShard` both do). The rules that keep each row exactly-once live here,
once, for both:

* A row is claimed by one conditional UPDATE (``PENDING → RUNNING``) that counts an attempt and
  hands out a fresh run token; a message for a row that is not PENDING (re-delivered,
  duplicated, cancelled, finished) claims nothing and is dropped.
* Every later write of the run (heartbeat, progress, its end) is conditional on still holding
  that token while RUNNING, so a worker that lost its row can never overwrite it.
* The reaper takes a RUNNING row whose heartbeat stopped back to PENDING (a new attempt, a new
  message), fails it after ``JOST_MAX_ATTEMPTS`` attempts, or cancels it when that was asked;
  and sends again, within ``JOST_PENDING_REDISPATCH_S``, a PENDING row whose message the broker
  no longer holds (`deliveries`). A row that was accepted is never lost.
* Messages are sent by task name (`Ledger.task`), so nothing here imports the tasks.

What differs between a job and a shard (the events it logs, the job lock every shard
transition takes, the merge of the last shard) stays in `services` and `shard_services`, which
build on these pieces.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from jost_engine import ConfigError, SimulationCancelled
from service.celery_app import app
from service.simulator import deliveries
from service.simulator.events import progress_written
from service.simulator.models import JobStatus

logger = logging.getLogger(__name__)

BATCH = 500  # rows the reaper handles per kind and run; the rest wait for its next run


@dataclass(frozen=True)
class Ledger:
    """A model whose rows are leased, and the task that runs one row."""

    model: Any  # a model class with the fields of the module docstring
    task: str  # the Celery task's name: messages are sent by name
    stamped: tuple[str, ...] = ()  # fields every write also sets to its time (``updated_at``)

    def stamps(self, now: datetime) -> dict[str, datetime]:
        return dict.fromkeys(self.stamped, now)


@dataclass(frozen=True)
class Lease:
    """A worker's hold on one attempt of one leased row."""

    ledger: Ledger
    pk: Any  # the leased row
    job_id: uuid.UUID  # the job the row belongs to (the row itself for a whole job)
    token: uuid.UUID
    attempt: int

    @property
    def what(self) -> str:
        """The run's name in messages a person reads."""
        return f"job {self.job_id}"

    def __str__(self) -> str:
        return f"{self.what} attempt {self.attempt}"

    def held(self) -> QuerySet:
        """The row, only while this lease still holds it."""
        return self.ledger.model.objects.filter(
            pk=self.pk, run_token=self.token, status=JobStatus.RUNNING
        )


def worker_name() -> str:
    return f"{socket.gethostname()}/{os.getpid()}"


def time_limits(rounds: int) -> tuple[float, float]:
    """(soft, hard) seconds for a run: a base plus its rounds at the slowest healthy rate."""
    soft = settings.JOST_TIME_LIMIT_BASE_S + rounds / settings.JOST_TIME_LIMIT_MIN_ROUNDS_PER_S
    return soft, soft + 60.0


def dispatch(
    ledger: Ledger, row: dict[str, Any], args: list[Any], rounds: int, **options: Any
) -> bool:
    """Send the message that runs one PENDING row (``row``: its lookup, e.g. ``{"pk": id}``);
    False (logged) when the broker refused it.

    A row whose message could not be sent stays PENDING with no ``queued_at``, and the reaper
    sends it again within seconds, so a broker outage delays work but never loses it.
    """
    soft, hard = time_limits(rounds)
    try:
        app.send_task(
            ledger.task,
            args=args,
            task_id=deliveries.message_id(args),  # names the row: the reaper lists what is held
            soft_time_limit=soft,
            time_limit=hard,
            **options,
        )
    except Exception:
        logger.exception("could not queue %s %s; the reaper will send it again", ledger.task, args)
        ledger.model.objects.filter(status=JobStatus.PENDING, **row).update(queued_at=None)
        return False
    return True


# --------------------------------------------------------------------------------------------
# The writes of a run
# --------------------------------------------------------------------------------------------


def claim(
    row: QuerySet,
    ledger: Ledger,
    *,
    job_id: Any,
    worker: str,
    now: datetime,
    lease: Callable[..., Lease] = Lease,
    **details: Any,
) -> Lease | None:
    """PENDING → RUNNING for the one row of ``row``, in the caller's transaction; None when it
    is not PENDING (nothing to do). ``lease(..., **details)`` builds the returned hold."""
    token = uuid.uuid4()
    claimed = row.filter(status=JobStatus.PENDING).update(
        status=JobStatus.RUNNING,
        attempts=F("attempts") + 1,
        run_token=token,
        worker=worker[:255],
        rounds_done=0,
        started_at=now,
        heartbeat_at=now,
        **ledger.stamps(now),
    )
    if not claimed:
        return None
    pk, attempt = row.values_list("pk", "attempts").get()
    return lease(
        ledger=ledger, pk=pk, job_id=uuid.UUID(str(job_id)), token=token, attempt=attempt, **details
    )


def heartbeat(lease: Lease, rounds_done: int | None = None) -> bool:
    """Record that the run is alive (and its progress); False when the lease was lost."""
    now = timezone.now()
    fields: dict[str, Any] = {"heartbeat_at": now, **lease.ledger.stamps(now)}
    if rounds_done is not None:
        fields["rounds_done"] = rounds_done
    return lease.held().update(**fields) == 1


def still_held(lease: Lease, *fields: str) -> dict[str, Any] | None:
    """The row's ``fields`` (lookups allowed) while the lease holds it; None once it is lost."""
    row = (
        lease.ledger.model.objects.filter(pk=lease.pk)
        .values("status", "run_token", *fields)
        .first()
    )
    if row is None or row["status"] != JobStatus.RUNNING or row["run_token"] != lease.token:
        return None
    return row


def finish(lease: Lease, status: str, *, now: datetime, **fields: Any) -> bool:
    """Store the run's end while holding the lease, in the caller's transaction; False if lost."""
    done = lease.held().update(
        status=status, finished_at=now, heartbeat_at=now, **lease.ledger.stamps(now), **fields
    )
    if not done:
        logger.warning("%s lost its claim", lease)
    return done == 1


# --------------------------------------------------------------------------------------------
# Running a leased row (the body of its Celery task)
# --------------------------------------------------------------------------------------------


class Heartbeat(threading.Thread):
    """Keeps a run's heartbeat fresh even while the engine is busy in one long chunk."""

    def __init__(self, lease: Lease, interval: float, beat: Callable[[], bool]) -> None:
        super().__init__(name=f"heartbeat-{lease.job_id}", daemon=True)
        self.lease = lease
        self.interval = interval
        self.beat = beat  # one heartbeat; False when the lease was lost (the thread stops then)
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.interval):
                try:
                    if not self.beat():
                        return
                except Exception:  # a database hiccup: the next beat tries again
                    logger.warning("heartbeat of %s failed", self.lease, exc_info=True)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=10)


class RunWatch:
    """The engine's progress and cancel callbacks: at most one row write/read per interval."""

    def __init__(
        self,
        lease: Lease,
        deadline: float,
        interval: float,
        *,
        write_progress: Callable[[int], bool],
        read_stop_reason: Callable[[], str | None],
    ) -> None:
        self.lease = lease
        self.deadline = deadline
        self.interval = interval
        self.write_progress = write_progress  # False when the lease was lost
        self.read_stop_reason = read_stop_reason
        self.last_write = time.monotonic()
        self.last_check = float("-inf")
        self.stop_reason: str | None = None

    def progress(self, rounds_done: int, rounds_total: int = 0) -> None:
        now = time.monotonic()
        if now - self.last_write >= self.interval:
            self.last_write = now
            if not self.write_progress(rounds_done):
                self.stop_reason = self.stop_reason or "lost"
            else:
                progress_written(self.lease.job_id)

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


def run(
    lease: Lease,
    *,
    limit: float,
    play: Callable[[RunWatch], Any],
    heartbeat: Callable[..., bool],
    stop_reason: Callable[[Any], str | None],
    complete: Callable[[Any, Any], bool],
    fail: Callable[[Any, str], bool],
    stopped: Callable[[Any], bool],
    cancelled_on: tuple[str, ...],
) -> str:
    """Run a claimed row to its end; ``"complete"``, ``"cancelled"``, ``"failed"`` or ``"lost"``.

    ``play(watch)`` runs the engine with ``watch``'s callbacks and returns what ``complete``
    stores. Meanwhile a thread beats ``heartbeat(lease)`` every ``JOST_HEARTBEAT_S``, and the
    watch writes ``heartbeat(lease, rounds_done)`` and reads ``stop_reason(lease)`` at most once
    per ``JOST_PROGRESS_INTERVAL_S``. A run stopped for one of ``cancelled_on`` ends with
    ``stopped(lease)``; one that raised, with ``fail(lease, reason)`` (`run_failure`).
    """
    watch = RunWatch(
        lease,
        time.monotonic() + limit,
        settings.JOST_PROGRESS_INTERVAL_S,
        write_progress=partial(heartbeat, lease),
        read_stop_reason=partial(stop_reason, lease),
    )
    beat = Heartbeat(lease, settings.JOST_HEARTBEAT_S, partial(heartbeat, lease))
    beat.start()
    try:
        outcome = play(watch)
    except Exception as exc:
        return run_failure(
            exc,
            stop_reason=watch.stop_reason,
            cancelled_on=cancelled_on,
            limit=limit,
            what=lease.what,
            fail=partial(fail, lease),
            stop=partial(stopped, lease),
            lost=f"{lease} was taken from this worker",
        )
    finally:
        beat.stop()
    return "complete" if complete(lease, outcome) else "lost"


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
    """What a run that raised comes to, with the reason recorded.

    ``"cancelled"`` (``stop`` called) when it was stopped for one of ``cancelled_on``;
    ``"lost"`` when its lease was taken (nothing is written: another worker owns it now);
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


# --------------------------------------------------------------------------------------------
# The reaper
# --------------------------------------------------------------------------------------------


class Reaper:
    """The reaper's rules for one kind of leased row; a subclass supplies that kind's steps.

    Each silent run (RUNNING, no heartbeat for ``JOST_STALE_AFTER_S``) is judged in a
    transaction of its own: `begin` says whether it is to be cancelled (or None: leave it),
    then it is CANCELLED, FAILED after ``JOST_MAX_ATTEMPTS`` attempts, or back to PENDING,
    each by one UPDATE that lands only while the row is still that silent run, and the
    matching step (`cancelled`, `failed`, `requeued`) logs it and does the rest. Then every
    row of `lost` is sent again (`send`), and every row of `unheard` whose message the broker
    does not hold (or, whatever it holds, after ``JOST_PENDING_BACKSTOP_S``): a needless extra
    message claims nothing.
    """

    ledger: Ledger
    subject = "the job"  # "the worker running {subject} stopped"
    fields: tuple[str, ...] = ()  # what the steps read of a row, besides its lease

    def watched(self) -> QuerySet:
        """The rows this reaper looks after."""
        return self.ledger.model.objects.all()

    def begin(self, row: dict[str, Any]) -> bool | None:
        """Inside the row's transaction, first: cancel it? None leaves the row alone."""
        raise NotImplementedError

    def cancelled(self, row: dict[str, Any], silent: str, now: datetime) -> None:
        """The silent run was cancelled (it had been asked to stop)."""

    def failed(self, row: dict[str, Any], error: str, now: datetime) -> None:
        """The silent run was its last attempt: the row FAILED with ``error``."""

    def requeued(self, row: dict[str, Any], silent: str, now: datetime) -> None:
        """The row is PENDING again; its message must be sent when the transaction commits."""

    queue = ""  # the queue of its messages

    def lost(self, now: datetime, cutoff: datetime) -> QuerySet:
        """PENDING rows whose message was certainly never sent or taken by a dead worker."""
        raise NotImplementedError

    def unheard(self, now: datetime) -> QuerySet:
        """PENDING rows sent more than ``JOST_PENDING_REDISPATCH_S`` ago: lost unless the
        broker still holds their message (`deliveries`)."""
        window = timedelta(seconds=settings.JOST_PENDING_REDISPATCH_S)
        return self.watched().filter(status=JobStatus.PENDING, queued_at__lt=now - window)

    def key(self, row: dict[str, Any]) -> str:
        """The row's name in its messages' task ids (`deliveries.row_key`)."""
        raise NotImplementedError

    def send(self, row: dict[str, Any]) -> bool:
        """Send one PENDING row's message again."""
        raise NotImplementedError

    def _resend(self, row: dict[str, Any], now: datetime) -> bool:
        model = self.ledger.model
        marked = model.objects.filter(pk=row["pk"], status=JobStatus.PENDING).update(queued_at=now)
        return bool(marked) and self.send(row)

    def reap(self, now: datetime) -> dict[str, int]:
        """Recover what a dead worker or a lost message left behind; counts per action."""
        stale_after = settings.JOST_STALE_AFTER_S
        cutoff = now - timedelta(seconds=stale_after)
        model, stamps = self.ledger.model, self.ledger.stamps(now)
        counts = {"requeued": 0, "failed": 0, "cancelled": 0, "redispatched": 0}
        silent_runs = self.watched().filter(
            Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff),
            status=JobStatus.RUNNING,
        )
        rows = silent_runs.values("pk", "run_token", "attempts", "worker", *self.fields)
        for row in rows[:BATCH]:
            unchanged = model.objects.filter(
                Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True),
                pk=row["pk"],
                status=JobStatus.RUNNING,
                run_token=row["run_token"],
            )
            attempts = row["attempts"]
            silent = f"no heartbeat for {stale_after:g} s from worker {row['worker'] or '?'}"
            with transaction.atomic():
                cancel = self.begin(row)
                if cancel is None:
                    continue
                if cancel:
                    if unchanged.update(status=JobStatus.CANCELLED, finished_at=now, **stamps):
                        counts["cancelled"] += 1
                        self.cancelled(row, silent, now)
                elif attempts >= settings.JOST_MAX_ATTEMPTS:
                    error = (
                        f"gave up after {attempts} attempts: the worker running {self.subject} "
                        f"stopped ({silent} during attempt {attempts})"
                    )
                    if unchanged.update(
                        status=JobStatus.FAILED, error=error, finished_at=now, **stamps
                    ):
                        counts["failed"] += 1
                        self.failed(row, error, now)
                elif unchanged.update(
                    status=JobStatus.PENDING,
                    run_token=None,
                    worker="",
                    rounds_done=0,
                    heartbeat_at=None,
                    queued_at=now,
                    **stamps,
                ):
                    counts["requeued"] += 1
                    self.requeued(row, silent, now)
        for row in self.lost(now, cutoff).values("pk", *self.fields)[:BATCH]:
            counts["redispatched"] += self._resend(row, now)
        unheard = list(self.unheard(now).values("pk", "queued_at", *self.fields)[:BATCH])
        if unheard:
            window = settings.JOST_PENDING_REDISPATCH_S
            held = deliveries.held([self.queue], window_s=window)
            backstop = now - timedelta(seconds=settings.JOST_PENDING_BACKSTOP_S)
            for row in unheard:
                if row["queued_at"] < backstop or (held is not None and self.key(row) not in held):
                    counts["redispatched"] += self._resend(row, now)
        return counts
