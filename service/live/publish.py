"""The hooks through which a job's changes reach its watchers over the channel layer.

`job_event_recorded` (an event was logged) and `job_progress_written` (a worker wrote
progress) receive the simulator's signals of the same names (`service.simulator.signals`,
connected in `service.live.apps`); `study_changed` receives the studies' signal of that name.
They never raise and never block: a message is queued for a background thread that sends it,
and dropped when the layer is slow or gone — the persisted event log and the job row remain
the truth, and a watcher re-reads them (see `consumers`).
Progress is sent at most once a second per job, however often the worker writes it.

Only a layer that crosses processes (Redis) is published to. The in-memory layer of the
embedded default lives inside one web process and cannot hear a worker process, so there the
watchers read the event log and the job row about once a second instead.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import threading
import time
from collections import OrderedDict
from typing import Any

from channels.layers import channel_layers
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from service.live import messages
from service.simulator.models import SimulationJob

logger = logging.getLogger(__name__)

QUEUE_SIZE = 10_000
SEND_TIMEOUT_S = 5.0
TRACKED_JOBS = 10_000
PROGRESS_INTERVAL_S = 1.0  # the most often one job's watchers hear of its progress


def group_name(job_id: Any) -> str:
    """The channel-layer group of one job's watchers."""
    return f"job.{job_id}"


def study_group_name(study_id: Any) -> str:
    """The channel-layer group of one study's watchers."""
    return f"study.{study_id}"


def layer_crosses_processes() -> bool:
    """Whether a message published here can reach a watcher in another process."""
    try:
        backend = settings.CHANNEL_LAYERS.get("default", {}).get("BACKEND", "")
    except Exception:
        return False
    return bool(backend) and not backend.endswith("InMemoryChannelLayer")


class _Publisher:
    """A daemon thread with its own event loop and layer that sends queued group messages.

    Started lazily in each process (a Celery prefork child forks after import), so the thread
    and its Redis connections always belong to the process that uses them.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._queue: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue(QUEUE_SIZE)
        self.dropped = 0

    def put(self, group: str, message: dict[str, Any]) -> None:
        with self._lock:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                self._queue = queue.Queue(QUEUE_SIZE)
                threading.Thread(target=self._run, name="jost-live-publisher", daemon=True).start()
        try:
            self._queue.put_nowait((group, message))
        except queue.Full:
            self.dropped += 1

    def _run(self) -> None:
        try:
            layer = channel_layers.make_backend("default")
        except Exception:
            logger.warning("live progress: no channel layer; nothing is published", exc_info=True)
            return
        loop = asyncio.new_event_loop()
        pending = self._queue
        while True:
            group, message = pending.get()
            try:
                loop.run_until_complete(
                    asyncio.wait_for(layer.group_send(group, message), SEND_TIMEOUT_S)
                )
            except Exception as exc:  # the layer is down: watchers fall back to the log
                self.dropped += 1
                logger.warning("live progress: could not publish to %s: %s", group, exc)


_publisher = _Publisher()


def publish(job_id: Any, message: dict[str, Any]) -> None:
    """Queue ``message`` for the job's watchers; never raises."""
    try:
        if layer_crosses_processes():
            _publisher.put(group_name(job_id), message)
    except Exception:
        logger.warning("live progress: publishing failed", exc_info=True)


def study_changed(study_id: Any, **_signal: Any) -> None:
    """Hook: a study's points or counts changed; its watchers read again (after the commit)."""
    try:
        if not layer_crosses_processes():
            return
        message = {"type": "study.changed", "study_id": str(study_id)}
        transaction.on_commit(
            lambda: _publisher.put(study_group_name(study_id), message), robust=True
        )
    except Exception:
        logger.warning("live progress: study hook failed", exc_info=True)


def job_event_recorded(job_id: Any, kind: str, **_signal: Any) -> None:
    """Hook: an event was logged; its watchers are told once the transaction commits."""
    try:
        if not layer_crosses_processes():
            return
        message = {"type": "job.status", "job_id": str(job_id), "kind": str(kind)}
        transaction.on_commit(lambda: publish(job_id, message), robust=True)
        if str(kind) in ("completed", "failed", "cancelled"):
            _progress_gate.forget(str(job_id))
    except Exception:
        logger.warning("live progress: event hook failed", exc_info=True)


class ProgressGate:
    """Lets one progress message per job through per interval, in this process (bounded: the
    least recently seen jobs are forgotten past ``TRACKED_JOBS``)."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._last: OrderedDict[str, float] = OrderedDict()

    def admit(self, job_id: str, now: float) -> bool:
        last = self._last.get(job_id)
        if last is not None and now - last < self.interval_s:
            return False
        self._last[job_id] = now
        self._last.move_to_end(job_id)
        while len(self._last) > TRACKED_JOBS:
            self._last.popitem(last=False)
        return True

    def forget(self, job_id: str) -> None:
        self._last.pop(job_id, None)


_progress_gate = ProgressGate(PROGRESS_INTERVAL_S)


def _first_in_this_second(job_id: str) -> bool:
    """Across processes (the shards of one job run on many workers): one message a second,
    decided by an atomic add in the shared cache (Redis in production)."""
    return bool(cache.add(f"live.progress.{job_id}", 1, timeout=int(PROGRESS_INTERVAL_S)))


def job_progress_written(job_id: Any, **_signal: Any) -> None:
    """Hook: a worker wrote the job's progress; watchers get it, at most about once a second.

    Reads the row back (one small query a second per job): for a sharded job the row holds the
    sum over its shards, which no single worker knows.
    """
    try:
        if not layer_crosses_processes():
            return
        key = str(job_id)
        if not _progress_gate.admit(key, time.monotonic()) or not _first_in_this_second(key):
            return
        row = (
            SimulationJob.objects.filter(pk=job_id, status="RUNNING")
            .values("rounds_done", "rounds_total", "started_at", "attempts")
            .first()
        )
        if row is None:
            return
        body = messages.progress(
            row["rounds_done"],
            row["rounds_total"],
            row["started_at"],
            timezone.now(),
            row["attempts"],
        )
        publish(job_id, {**body, "type": "job.progress"})
    except Exception:
        logger.warning("live progress: progress hook failed", exc_info=True)
