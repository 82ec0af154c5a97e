"""The Celery app: ``celery -A service.celery_app worker``.

Configuration comes from `service.settings` (the ``CELERY_`` names); the broker is Redis in
production and the embedded file-system broker by default. Results are never stored in Celery:
the `SimulationJob` row is the source of truth.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from celery import Celery, bootsteps
from django.conf import settings
from django.db import connection
from kombu import Exchange, Queue

logger = logging.getLogger(__name__)

REAP_TASK = "simulator.reap_stale_jobs"

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "service.settings")  # read at first access


def _celery_settings() -> dict[str, Any]:
    """The ``CELERY_`` settings as a plain dict, read once.

    Celery looks its settings up on every publish (seven lookups a message), and each lookup
    through Django's lazy settings object is slow enough to show in a submit's cost
    (docs/operations.md, "Submit latency").
    """
    return {name: getattr(settings, name) for name in dir(settings) if name.startswith("CELERY_")}


app = Celery("jost")
app.config_from_object(_celery_settings(), namespace="CELERY")


def _queues() -> tuple[Queue, Queue, Queue]:
    """The jobs queue, the shards queue and a small control queue.

    A worker takes from each queue in turn, so neither a small job nor the reaper waits behind
    a large job's backlog of shards (README, "Sharded jobs").
    """
    name = app.conf.task_default_queue
    control = f"{name}.control"
    shards = f"{name}.shards"  # = settings.JOST_SHARD_QUEUE
    return (
        Queue(name, Exchange(name, type="direct"), routing_key=name),
        Queue(shards, Exchange(shards, type="direct"), routing_key=shards),
        Queue(control, Exchange(control, type="direct"), routing_key=control),
    )


_jobs_queue, _shards_queue, _control_queue = _queues()
app.conf.task_queues = (_jobs_queue, _shards_queue, _control_queue)
app.conf.task_routes = {
    REAP_TASK: {"queue": _control_queue.name},
    "simulator.run_jost_shard_task": {"queue": _shards_queue.name},
}
app.autodiscover_tasks(["service.simulator"])


class ReaperTimer(bootsteps.StartStopStep):
    """A thread in every worker process that runs the reaper task here every
    ``JOST_REAPER_INTERVAL_S``, when it is this worker's turn (`simulator.reaper_turns`).

    So a killed worker's job is re-queued by any worker still alive, without a beat process:
    beat is no single point of failure.
    """

    requires = ("celery.worker.components:Pool",)

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.stopped = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self, worker: Any) -> None:
        self.thread = threading.Thread(target=self._run, name="jost-reaper", daemon=True)
        self.thread.start()

    def stop(self, worker: Any) -> None:
        self.stopped.set()
        if self.thread is not None:
            self.thread.join(timeout=10)

    def _run(self) -> None:
        interval = settings.JOST_REAPER_INTERVAL_S
        while not self.stopped.wait(interval):
            try:
                app.tasks[REAP_TASK]()
            except Exception:  # a database hiccup: the next turn tries again
                logger.warning("reaper: this turn failed", exc_info=True)
            finally:
                connection.close()  # and with it any advisory lock a failed turn left


app.steps["worker"].add(ReaperTimer)
