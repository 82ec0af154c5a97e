"""Ready a web process before its first request, and keep the collector off its startup heap.

A new process pays for lazy imports, pydantic's validator build, URL resolution and Celery's
transport lookup on its first requests, which then stall behind them. And a full collection
of the objects that Django, the engine and Celery leave on the heap is a long pause, repeated
every few collections under load. Everything built at startup lives as long as the process, so
it is frozen out of the collector's reach (`gc.freeze`, as Instagram does for its Django
fleet); objects made by requests are collected as usual. What this saved, measured:
docs/operations.md, "Submit latency".

Imported once Django is set up (`service.asgi`, `service.wsgi`): it imports the job services.
"""

from __future__ import annotations

import gc

from django.urls import reverse

from service.celery_app import app
from service.simulator import services

# the smallest config a client may send; everything else takes its default
_EXAMPLE = {"name": "warm-up", "simulation": {"rounds": 1000, "seed": 1}}


def warm_web_process() -> None:
    """Run the submit path's one-time work now (nothing is written or sent), then freeze."""
    services.validate_job_config(_EXAMPLE)
    # imports the URL conf (views, serializers, DRF) and fills the resolver's tables
    reverse("api:job-status", args=["00000000-0000-0000-0000-000000000000"])
    app.connection_for_write().transport  # noqa: B018 - kombu resolves the transport lazily
    app.amqp.router  # noqa: B018 - and Celery builds the router that send_task uses lazily
    gc.collect()
    gc.freeze()
