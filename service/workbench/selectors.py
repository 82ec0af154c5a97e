"""What the workbench reads: every user's jobs (staff see all), with their pace and size."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from service.simulator.models import SimulationJob


def job_history(*, status: str | None = None, username: str | None = None) -> QuerySet:
    """All users' jobs, newest first, without their config and result documents."""
    jobs = SimulationJob.objects.select_related("owner").defer("request_data", "result_data")
    if status:
        jobs = jobs.filter(status=status)
    if username:
        jobs = jobs.filter(owner__username=username)
    return jobs.order_by("-created_at", "-id")


def job_owners() -> list[str]:
    """Usernames of everyone who has submitted a job (the history's user filter)."""
    users = get_user_model().objects.filter(simulation_jobs__isnull=False).distinct()
    return sorted(users.values_list("username", flat=True))


def job_any(*, job_id: Any) -> SimulationJob:
    """Any user's job, for staff; 404 when there is none."""
    try:
        key = job_id if isinstance(job_id, uuid.UUID) else uuid.UUID(str(job_id))
    except ValueError:
        raise Http404(f"no job {job_id}") from None
    job = SimulationJob.objects.select_related("owner").filter(pk=key).first()
    if job is None:
        raise Http404(f"no job {key}")
    return job


@dataclass(frozen=True)
class Pace:
    """How long a job ran (or has run so far) and how fast."""

    duration_s: float | None
    rounds_per_second: float | None


def job_pace(job: SimulationJob, now: datetime | None = None) -> Pace:
    if job.started_at is None:
        return Pace(None, None)
    end = job.finished_at or (now or timezone.now())
    seconds = max((end - job.started_at).total_seconds(), 0.0)
    rate = job.rounds_done / seconds if seconds > 0 and job.rounds_done else None
    return Pace(seconds, rate)


@dataclass(frozen=True)
class Table:
    title: str
    headers: list[str]
    rows: list[list[str]]


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, list):
        return "[" + ", ".join(_cell(v) for v in value) + "]"
    if value is None:
        return "—"
    return str(value)


def _flatten(prefix: str, value: Any, rows: list[list[str]], tables: list[Table]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), inner, rows, tables)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        headers = list(dict.fromkeys(k for item in value for k in item))
        body = [[_cell(item.get(h)) for h in headers] for item in value]
        tables.append(Table(prefix, headers, body))
    else:
        rows.append([prefix, _cell(value)])


def result_tables(document: dict[str, Any]) -> list[Table]:
    """A result document as tables: its figures by dotted path, then each list of records."""
    rows: list[list[str]] = []
    tables: list[Table] = []
    _flatten("", document, rows, tables)
    return [Table("result", ["figure", "value"], rows), *tables]


def pretty_json(document: Any) -> str:
    return json.dumps(document, indent=2, sort_keys=False)
