"""Everything that reads jobs (and the service's own state) without changing it.

A user only ever sees their own jobs: another user's job is "not found", never "forbidden",
so job ids reveal nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from functools import cache
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection
from django.db.models import QuerySet

from jost_engine import ENGINE_VERSION
from jost_engine.config import SCHEMA_VERSION
from jost_engine.profiles import bundled_profiles, default_profile_names
from service.celery_app import app
from service.simulator import reaper_turns
from service.simulator.errors import JobNotFound, ResultNotReady
from service.simulator.models import JobStatus, SimulationJob


def uuid_prefix(text: str) -> str:
    """A prefix of a UUID's canonical text (``05b90c21-a1b7``) from its hex digits, with or
    without hyphens: PostgreSQL compares the canonical text, Django strips the hyphens on a
    database that stores UUIDs as bare hex (SQLite)."""
    digits = text.replace("-", "").lower()
    groups, start = [], 0
    for size in (8, 4, 4, 4, 12):
        if start < len(digits):
            groups.append(digits[start : start + size])
        start += size
    return "-".join(groups)


def job_list(
    *, user: AbstractBaseUser, status: str | None = None, id_prefix: str | None = None
) -> QuerySet[SimulationJob]:
    """The user's jobs, newest first, without the heavy config and result documents;
    ``id_prefix`` keeps those whose id starts with it (hyphens and case do not matter)."""
    jobs = SimulationJob.objects.filter(owner=user).defer("request_data", "result_data")
    if status:
        jobs = jobs.filter(status=status)
    if id_prefix:
        jobs = jobs.filter(id__startswith=uuid_prefix(id_prefix))
    return jobs.order_by("-created_at", "-id")


def job_get(*, user: AbstractBaseUser, job_id: Any) -> SimulationJob:
    """One of the user's jobs; `JobNotFound` for a missing job and for another user's job."""
    try:
        key = job_id if isinstance(job_id, uuid.UUID) else uuid.UUID(str(job_id))
    except ValueError:
        raise JobNotFound(f"no job {job_id}") from None
    job = SimulationJob.objects.filter(pk=key, owner=user).first()
    if job is None:
        raise JobNotFound(f"no job {key} for this user")
    return job


def job_result(*, user: AbstractBaseUser, job_id: Any) -> dict[str, Any]:
    """The result document of a COMPLETE job; `ResultNotReady` says why there is none."""
    job = job_get(user=user, job_id=job_id)
    if job.status == JobStatus.COMPLETE and job.result_data is not None:
        return job.result_data
    if job.status == JobStatus.PENDING:
        why = "the job is waiting for a worker"
    elif job.status == JobStatus.RUNNING:
        done = job.rounds_done / job.rounds_total if job.rounds_total else 0.0
        why = f"the job is running ({done:.0%} done)"
    elif job.status == JobStatus.FAILED:
        why = f"the job failed: {job.error}"
    else:
        why = "the job was cancelled"
    raise ResultNotReady(f"no result for job {job.id}: {why}")


@cache
def defaults_document() -> tuple[dict[str, Any], str]:
    """The engine's bundled standard profiles as served by /api/defaults/, and its ETag.

    Computed once per process: the set only changes with the engine, i.e. with a deploy.
    """
    document = {
        "schema_version": SCHEMA_VERSION,
        "engine_version": ENGINE_VERSION,
        "defaults": default_profile_names(),
        "profiles": bundled_profiles(),
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return document, '"' + hashlib.sha256(canonical).hexdigest()[:32] + '"'


def system_readiness() -> dict[str, str]:
    """``{"database": …, "broker": …, "reaper": …}``, each ``"ok"`` or the problem — what
    /readyz reports. The reaper is a problem when no worker has reaped for
    ``JOST_REAPER_LATE_S`` (`reaper_turns.late`): accepted jobs would then wait for nobody."""
    database = _database_problem()
    if database is None:
        reaper = _reaper_problem() or "ok"
    else:
        reaper = "unknown: its record is in the database"
    return {"database": database or "ok", "broker": _broker_problem() or "ok", "reaper": reaper}


def _reaper_problem() -> str | None:
    try:
        return reaper_turns.late()
    except Exception as exc:
        return f"reaper unknown: {type(exc).__name__}: {exc}".strip()


def _database_problem() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return f"database unreachable: {type(exc).__name__}: {exc}".strip()
    return None


def _broker_problem() -> str | None:
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            if conn.transport_cls and "filesystem" in str(conn.transport_cls).lower():
                # the file-system broker is "reachable" when its folder is writable
                folder = app.conf.broker_transport_options["data_folder_out"]
                probe = f"{folder}/.ready-{uuid.uuid4().hex}"
                with open(probe, "w") as f:
                    f.write("ok")
                os.unlink(probe)
    except Exception as exc:
        return f"broker unreachable: {type(exc).__name__}: {exc}".strip()
    return None
