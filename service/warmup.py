"""Ready a web process before its first request, and keep the collector off its startup heap.

A new process pays for lazy imports, pydantic's validator build, URL resolution and Celery's
transport lookup on its first requests (the first second of a load ran at p99 1.5 s). And a
full collection of the ~130,000 objects that Django, the engine and Celery leave on the heap
takes ~60 ms — a stall every few seconds under load. Everything built at startup lives as long
as the process, so it is frozen out of the collector's reach (`gc.freeze`, as Instagram does
for its Django fleet); objects made by requests are collected as usual.
"""

from __future__ import annotations

import gc

from django.urls import reverse

# the smallest config a client may send; everything else takes its default
_EXAMPLE = {"name": "warm-up", "simulation": {"rounds": 1000, "seed": 1}}


def warm_web_process() -> None:
    """Run the submit path's one-time work now (nothing is written or sent), then freeze."""
    from service.celery_app import app
    from service.simulator import services, tasks  # noqa: F401 - the task registers itself

    services.validate_job_config(_EXAMPLE)
    # imports the URL conf (views, serializers, DRF) and fills the resolver's tables
    reverse("api:job-status", args=["00000000-0000-0000-0000-000000000000"])
    app.connection_for_write().transport  # noqa: B018 - kombu resolves the transport lazily
    gc.collect()
    gc.freeze()
