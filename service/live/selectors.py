"""What a job's watcher reads: the job row's live fields and its event log after a point."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser

from service.simulator import selectors as simulator_selectors
from service.simulator.models import SimulationJob, SimulationJobEvent

JOB_FIELDS = (
    "id",
    "name",
    "status",
    "attempts",
    "error",
    "rounds_done",
    "rounds_total",
    "created_at",
    "started_at",
    "finished_at",
)
EVENT_FIELDS = ("id", "at", "kind", "attempt", "message")


def job_owned(*, user: AbstractBaseUser, job_id: Any) -> SimulationJob:
    """The user's job (`JobNotFound` for a missing job and for another user's job alike)."""
    return simulator_selectors.job_get(user=user, job_id=job_id)


def job_events(*, job_id: Any, after: int | None = None) -> list[dict[str, Any]]:
    """The job's event log in the order it was written, only entries after id ``after``."""
    events = SimulationJobEvent.objects.filter(job_id=job_id)
    if after is not None:
        events = events.filter(id__gt=after)
    return list(events.order_by("id").values(*EVENT_FIELDS))


def job_live(*, job_id: Any, after: int | None = None) -> tuple[dict[str, Any], list[dict]]:
    """(the job's live fields with ``last_event``, its events after ``after``), read together.

    The row is read before the log: a status change commits with its event, so every change
    the row shows is in the events read after it (the log may run a moment ahead of the row,
    never behind it).
    """
    job = SimulationJob.objects.filter(pk=job_id).values(*JOB_FIELDS).get()
    events = job_events(job_id=job_id, after=after)
    job["last_event"] = events[-1]["id"] if events else after
    return job, events


def job_result_document(*, job_id: Any) -> dict[str, Any] | None:
    return SimulationJob.objects.filter(pk=job_id).values_list("result_data", flat=True).get()
