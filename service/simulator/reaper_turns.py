"""Whose turn it is to reap: every worker runs the reaper, one at a time, once per interval.

Each worker process has a timer (`service.celery_app.ReaperTimer`) that asks for a turn every
``JOST_REAPER_INTERVAL_S``, so the reaper needs no beat process and keeps running while any
worker lives. A turn is taken by one conditional UPDATE of the `ReaperRun` row (the interval
since the last turn has passed), on PostgreSQL also under a session advisory lock, so one worker
reaps at a time; every step of a reap is a conditional UPDATE anyway, so even two reaps at once
would do no harm. The end of each reap is recorded, and /readyz reports a reaper that has not
finished for ``JOST_REAPER_LATE_S`` (`late`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from service.simulator.models import ReaperRun

NAME = "reaper"
LOCK_KEY = 0x6A6F_7374_7265_6170  # "jostreap": one advisory lock per database


@contextmanager
def _advisory_lock() -> Iterator[bool]:
    """Whether this process holds the reaper's PostgreSQL lock (True on other databases)."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
        held = bool(cursor.fetchone()[0])
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


def _take_ticket(now: datetime) -> bool:
    due = now - timedelta(seconds=0.8 * settings.JOST_REAPER_INTERVAL_S)
    if ReaperRun.objects.filter(name=NAME, started_at__lte=due).update(started_at=now):
        return True
    try:
        with transaction.atomic():  # a savepoint: a lost race leaves the caller's work intact
            ReaperRun.objects.create(name=NAME, started_at=now)
    except IntegrityError:  # the row is there: another worker's turn
        return False
    return True


def take_turn(reap: Callable[[], dict[str, int]]) -> dict[str, int] | None:
    """``reap()`` if it is this worker's turn; its counts, or None when it was not."""
    with _advisory_lock() as held:
        if not held or not _take_ticket(timezone.now()):
            return None
        counts = reap()
        ReaperRun.objects.filter(name=NAME).update(finished_at=timezone.now())
        return counts


def last_finished() -> datetime | None:
    """When a reap last ended (None: never, e.g. no worker has started yet)."""
    return ReaperRun.objects.filter(name=NAME).values_list("finished_at", flat=True).first()


def late(now: datetime | None = None) -> str | None:
    """Why the reaper looks stopped, or None: it finished within ``JOST_REAPER_LATE_S``, or
    has never run (a service whose workers have not started yet)."""
    finished = last_finished()
    if finished is None:
        return None
    silent = ((now or timezone.now()) - finished).total_seconds()
    if silent <= settings.JOST_REAPER_LATE_S:
        return None
    return (
        f"no worker has reaped for {silent:,.0f} s (JOST_REAPER_LATE_S is "
        f"{settings.JOST_REAPER_LATE_S:g}): are any workers running?"
    )
