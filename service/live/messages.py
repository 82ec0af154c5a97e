"""The JSON messages a job's WebSocket sends, built in one place so pushes and polls agree.

``state`` (once, on connect), then ``status`` (one per logged event, in log order),
``progress`` (rounds done/total, rounds/second, ETA) and ``result`` (a COMPLETE job's result
document); ``error`` explains a refused connection before it is closed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

# The job status each logged event leaves behind (an unknown kind names no status).
STATUS_AFTER = {
    "started": "RUNNING",
    "requeued": "PENDING",
    "cancel_requested": "RUNNING",
    "completed": "COMPLETE",
    "failed": "FAILED",
    "cancelled": "CANCELLED",
}
FINISHED = frozenset({"COMPLETE", "FAILED", "CANCELLED"})


def iso_time(moment: datetime | None) -> str | None:
    """A moment as the sockets send it (ISO 8601), or None."""
    return moment.isoformat() if moment is not None else None


def progress(
    rounds_done: int,
    rounds_total: int,
    started_at: datetime | None,
    now: datetime,
    attempt: int = 0,
) -> dict[str, Any]:
    """Rounds done of total, the rate since this attempt started, and the time left at it."""
    elapsed = (now - started_at).total_seconds() if started_at is not None else 0.0
    rate = rounds_done / elapsed if elapsed > 0 and rounds_done > 0 else None
    left = max(rounds_total - rounds_done, 0)
    return {
        "type": "progress",
        "attempt": attempt,
        "rounds_done": rounds_done,
        "rounds_total": rounds_total,
        "fraction": round(rounds_done / rounds_total, 6) if rounds_total else 0.0,
        "rounds_per_second": round(rate, 1) if rate is not None else None,
        "eta_s": round(left / rate, 1) if rate else None,
    }


def event(row: dict[str, Any]) -> dict[str, Any]:
    """One entry of the event log (also the body of a ``status`` message)."""
    return {
        "id": row["id"],
        "at": iso_time(row["at"]),
        "kind": row["kind"],
        "status": STATUS_AFTER.get(row["kind"]),
        "attempt": row["attempt"],
        "message": row["message"],
    }


def status(row: dict[str, Any]) -> dict[str, Any]:
    return {"type": "status", **event(row)}


def state(job: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Where the job stands right now: the first message of every connection."""
    return {
        "type": "state",
        "job_id": str(job["id"]),
        "name": job["name"],
        "status": job["status"],
        "attempts": job["attempts"],
        "error": job["error"] or None,
        "progress": progress(
            job["rounds_done"], job["rounds_total"], job["started_at"], now, job["attempts"]
        ),
        "created_at": iso_time(job["created_at"]),
        "started_at": iso_time(job["started_at"]),
        "finished_at": iso_time(job["finished_at"]),
        "last_event": job["last_event"],
    }


def result(document: dict[str, Any]) -> dict[str, Any]:
    return {"type": "result", "result": document}


def error(code: str, detail: str) -> dict[str, Any]:
    return {"type": "error", "error": code, "detail": detail}
