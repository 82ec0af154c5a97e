"""Celery tasks: thin wrappers over `services.job_run`, `shard_services.shard_run` and
`services.jobs_reap`.

``acks_late`` + ``reject_on_worker_lost``: a message is acknowledged only after the job row is
final, so a worker that dies mid-job leaves the message to be delivered again; the row's
conditional transitions make every extra delivery harmless. Messages are sent by these names
(`leases.dispatch`), so nothing that sends one imports this module.
"""

from __future__ import annotations

import os
from typing import Any

from service.celery_app import REAP_TASK, app
from service.simulator import reaper_turns, services, shard_services

RUN_ONCE = {"bind": True, "acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


def _worker_and_limit(request: Any) -> tuple[str, float | None]:
    """This worker's name, and the message's soft time limit (None: the run computes its own)."""
    limits = request.timelimit or (None, None)
    soft = limits[1] if len(limits) > 1 else None
    return f"{request.hostname or 'worker'}/{os.getpid()}", soft


@app.task(name=services.JOBS.task, **RUN_ONCE)
def run_jost_simulation_task(self, job_id: str) -> str:
    """Run one job to its end (COMPLETE, FAILED or CANCELLED); a no-op unless it is PENDING."""
    worker, soft = _worker_and_limit(self.request)
    return services.job_run(job_id, worker=worker, time_limit_s=soft)


@app.task(name=shard_services.SHARDS.task, **RUN_ONCE)
def run_jost_shard_task(self, job_id: str, index: int) -> str:
    """Run one shard of a sharded job; the last shard to finish merges and completes the job."""
    worker, soft = _worker_and_limit(self.request)
    return shard_services.shard_run(job_id, int(index), worker=worker, time_limit_s=soft)


@app.task(name=REAP_TASK, ignore_result=True)
def reap_stale_jobs() -> dict[str, int]:
    """Re-queue jobs whose worker died and re-send lost messages, if it is this worker's turn.

    Every worker calls it on its own timer (`service.celery_app.ReaperTimer`); beat, where it
    runs, sends it too. ``{}`` when another worker had the turn.
    """
    return reaper_turns.take_turn(services.jobs_reap) or {}
