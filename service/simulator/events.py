"""The job's event log, and the signals that tell listeners of it (`signals`)."""

from __future__ import annotations

from typing import Any

from service.simulator.models import SimulationJob, SimulationJobEvent
from service.simulator.signals import job_event_recorded, job_progress_written


def record_event(job_id: Any, kind: str, attempt: int = 0, message: str = "") -> None:
    """Log one transition of a job (in the caller's transaction) and signal it."""
    SimulationJobEvent.objects.create(job_id=job_id, kind=kind, attempt=attempt, message=message)
    job_event_recorded.send_robust(SimulationJob, job_id=job_id, kind=kind)


def progress_written(job_id: Any) -> None:
    """Signal that a worker wrote the job's progress."""
    job_progress_written.send_robust(SimulationJob, job_id=job_id)
