"""``/ws/jobs/<job_id>/``: one job's live status, progress and result for its owner.

On connect the watcher gets ``state``, then the event log as ``status`` messages (after
``?after=<event id>`` when reconnecting), then ``progress`` while the job runs and ``result``
once it is COMPLETE; the socket closes (1000) when the job has finished.

The persisted log and the job row are the truth; the channel layer only says "read again"
(``job.status``) or carries a progress figure (``job.progress``). Every read is serialized and
sends only what is newer than what was sent, so pushes, polls and reconnects never reorder or
repeat a message. Where the layer cannot hear the worker (the in-memory layer of the embedded
default) the watcher re-reads about once a second; with Redis it re-reads every few seconds
only as a safety net for a message the layer lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone

from service.live import messages, selectors
from service.live.publish import group_name, layer_crosses_processes
from service.simulator.errors import JobNotFound
from service.simulator.models import SimulationJob

logger = logging.getLogger(__name__)

POLL_WITHOUT_LAYER_S = 1.0
POLL_WITH_LAYER_S = 5.0

NOT_AUTHENTICATED = 4401
NOT_FOUND = 4404
INVALID = 4400


def after_of(scope: dict[str, Any]) -> int | None:
    """``?after=<event id>``: the last event a reconnecting client already has."""
    query = parse_qs(scope.get("query_string", b"").decode("latin1"))
    raw = (query.get("after") or [""])[0].strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise ValueError(f"after must be an event id (a whole number), got {raw!r}")
    return int(raw)


class Watcher(AsyncJsonWebsocketConsumer):
    """What every watcher shares: token auth, the channel-layer group that says "read again",
    a poll as the safety net, and refusals with a reason before the close.

    A subclass finds its object in `open` (returning its group, or None once it has refused)
    and sends what changed in `catch_up`, setting ``done`` when the object has finished.
    """

    poll_s: float
    what = "object"  # in log lines

    async def connect(self) -> None:
        self.done = True
        self.poller: asyncio.Task | None = None
        self.group: str | None = None
        await self.accept()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self._refuse(
                NOT_AUTHENTICATED,
                "not_authenticated",
                "send an API token: ?token=KEY or the header 'Authorization: Token KEY'",
            )
            return
        group = await self.open(user)
        if group is None:
            return
        self.lock = asyncio.Lock()
        self.done = False
        if self.channel_layer is not None:
            # joined before the first read, so no change falls between the read and the push
            self.group = group
            await self.channel_layer.group_add(self.group, self.channel_name)
        self.poll_s = POLL_WITH_LAYER_S if layer_crosses_processes() else POLL_WITHOUT_LAYER_S
        await self._catch_up(first=True)
        if not self.done:
            self.poller = asyncio.create_task(self._poll())

    async def open(self, user: Any) -> str | None:
        raise NotImplementedError

    async def catch_up(self, *, first: bool) -> None:
        raise NotImplementedError

    async def disconnect(self, code: int) -> None:
        self.done = True
        if self.poller is not None:
            self.poller.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.poller
        if self.group is not None and self.channel_layer is not None:
            with contextlib.suppress(Exception):
                await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Clients have nothing to say; anything they send is ignored."""

    async def _poll(self) -> None:
        while not self.done:
            await asyncio.sleep(self.poll_s)
            try:
                await self._catch_up()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("live progress: reading %s failed", self.what, exc_info=True)

    async def _catch_up(self, *, first: bool = False) -> None:
        """One read at a time (pushes, polls and the first read never interleave)."""
        if self.done:
            return
        async with self.lock:
            if not self.done:
                await self.catch_up(first=first)

    async def _refuse(self, code: int, error: str, detail: str) -> None:
        await self.send_json(messages.error(error, detail))
        await self.close(code=code)


class JobProgressConsumer(Watcher):
    """Watches one job for its owner (see the module docstring for the messages)."""

    async def open(self, user: Any) -> str | None:
        try:
            self.last_event = after_of(self.scope)
        except ValueError as exc:
            await self._refuse(INVALID, "invalid_request", str(exc))
            return None
        job_id = self.scope["url_route"]["kwargs"]["job_id"]
        try:
            job = await database_sync_to_async(selectors.job_owned)(user=user, job_id=job_id)
        except JobNotFound as exc:
            await self._refuse(NOT_FOUND, "not_found", exc.detail)
            return None
        self.job_id = str(job.pk)
        self.what = f"job {self.job_id}"
        self.progressed: tuple[int, int] = (job.attempts, job.rounds_done)
        return group_name(self.job_id)

    # ---- from the channel layer --------------------------------------------------------

    async def job_status(self, message: dict[str, Any]) -> None:
        await self._catch_up()

    async def job_progress(self, message: dict[str, Any]) -> None:
        if self.done:
            return
        async with self.lock:
            await self._send_progress({**message, "type": "progress"})

    # ---- reading the truth ---------------------------------------------------------------

    async def catch_up(self, *, first: bool) -> None:
        """Send what changed since the last read: new events, progress, the result; in order."""
        try:
            job, events = await database_sync_to_async(selectors.job_live)(
                job_id=self.job_id, after=self.last_event
            )
        except SimulationJob.DoesNotExist:  # deleted by the retention policy meanwhile
            self.done = True
            await self._refuse(NOT_FOUND, "not_found", f"job {self.job_id} was deleted")
            return
        ran_ahead = bool(events) and messages.STATUS_AFTER.get(events[-1]["kind"]) in (
            messages.FINISHED
        )
        if ran_ahead and job["status"] not in messages.FINISHED:  # the log beat the row
            job, more = await database_sync_to_async(selectors.job_live)(
                job_id=self.job_id, after=events[-1]["id"]
            )
            events += more
        now = timezone.now()
        if first:
            await self.send_json(messages.state(job, now))
        for row in events:
            await self.send_json(messages.status(row))
            self.last_event = row["id"]
        if job["status"] == "RUNNING" and not first:
            await self._send_progress(
                messages.progress(
                    job["rounds_done"],
                    job["rounds_total"],
                    job["started_at"],
                    now,
                    job["attempts"],
                )
            )
        if job["status"] in messages.FINISHED:
            if job["status"] == "COMPLETE":
                document = await database_sync_to_async(selectors.job_result_document)(
                    job_id=self.job_id
                )
                await self.send_json(messages.result(document or {}))
            self.done = True
            await self.close(code=1000)

    async def _send_progress(self, body: dict[str, Any]) -> None:
        """Send progress that is newer than the last sent (a new attempt starts over)."""
        mark = (int(body.get("attempt") or 0), int(body["rounds_done"]))
        if mark[1] <= 0 or mark <= self.progressed:
            return
        self.progressed = mark
        await self.send_json(body)
