"""Celery tasks: thin wrappers over `services.job_run`, `shard_services.shard_run` and
`services.jobs_reap`.

``acks_late`` + ``reject_on_worker_lost``: a message is acknowledged only after the job row is
final, so a worker that dies mid-job leaves the message to be delivered again; the row's
conditional transitions make every extra delivery harmless.
"""

from __future__ import annotations

import os

from service.celery_app import app
from service.simulator import services, shard_services


@app.task(
    name="simulator.run_jost_simulation_task",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def run_jost_simulation_task(self, job_id: str) -> str:
    """Run one job to its end (COMPLETE, FAILED or CANCELLED); a no-op unless it is PENDING."""
    limits = self.request.timelimit or (None, None)
    soft = limits[1] if len(limits) > 1 else None
    worker = f"{self.request.hostname or 'worker'}/{os.getpid()}"
    return services.job_run(job_id, worker=worker, time_limit_s=soft)


@app.task(
    name="simulator.run_jost_shard_task",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def run_jost_shard_task(self, job_id: str, index: int) -> str:
    """Run one shard of a sharded job; the last shard to finish merges and completes the job."""
    limits = self.request.timelimit or (None, None)
    soft = limits[1] if len(limits) > 1 else None
    worker = f"{self.request.hostname or 'worker'}/{os.getpid()}"
    return shard_services.shard_run(job_id, int(index), worker=worker, time_limit_s=soft)


@app.task(name="simulator.reap_stale_jobs", ignore_result=True)
def reap_stale_jobs() -> dict[str, int]:
    """Re-queue jobs whose worker died and re-send lost messages (run by Celery beat)."""
    return services.jobs_reap()
