"""The Celery app: ``celery -A service.celery_app worker``.

Configuration comes from `service.settings` (the ``CELERY_`` names); the broker is Redis in
production and the embedded file-system broker by default. Results are never stored in Celery:
the `SimulationJob` row is the source of truth.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "service.settings")


def _celery_settings() -> dict[str, Any]:
    """The ``CELERY_`` settings as a plain dict, read once.

    Celery looks its settings up on every publish (seven lookups a message); through Django's
    lazy settings object that was a quarter of a millisecond per submit.
    """
    from django.conf import settings

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
    "simulator.reap_stale_jobs": {"queue": _control_queue.name},
    "simulator.run_jost_shard_task": {"queue": _shards_queue.name},
}
app.autodiscover_tasks(["service.simulator"])
