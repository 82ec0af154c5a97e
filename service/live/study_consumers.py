"""``/ws/studies/<study_id>/``: one study's live progress for its owner, as a job's socket.

On connect the watcher gets ``state`` (status, point counts, rounds done of total), then one
``point`` message per finished point (index, label, status, cached, job id, summary, error) in
index order; later, ``point`` for each point as it finishes and ``progress`` whenever the counts
or the rounds played have moved; ``finished`` (the study's final status) when every point has
finished, and the socket closes (1000). A reconnecting client gets the state and every finished
point again (``GET /api/studies/<id>/`` holds the same).

As for jobs, the database is the truth: the channel layer only says "read again"
(``study.changed``, published when a point finishes or the study's counts change), and the
watcher also re-reads on a timer, every second where the layer cannot cross processes.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from service.live.consumers import NOT_FOUND, Watcher
from service.live.messages import iso_time
from service.live.publish import study_group_name
from service.studies import selectors
from service.studies.errors import StudyNotFound
from service.studies.models import Study

FINISHED = frozenset({"COMPLETE", "FAILED", "CANCELLED"})
COUNTS = ("points_total", "points_done", "points_failed", "points_cached")


def study_progress(study: dict[str, Any], finished: int) -> dict[str, Any]:
    """Points finished of total, and rounds played of the study's rounds."""
    total = int(study["rounds_total"]) or 1
    return {
        "type": "progress",
        **{key: study[key] for key in COUNTS},
        "points_finished": finished,
        "rounds_done": study["rounds_done"],
        "rounds_total": study["rounds_total"],
        "fraction": min(study["rounds_done"] / total, 1.0),
    }


def study_state(study: dict[str, Any], finished: int) -> dict[str, Any]:
    """Where the study stands right now: the first message of every connection."""
    body = study_progress(study, finished)
    body.update(
        type="state",
        study_id=str(study["id"]),
        name=study["name"],
        status=study["status"],
        cancel_requested=study["cancel_requested"],
        created_at=iso_time(study["created_at"]),
        finished_at=iso_time(study["finished_at"]),
    )
    return body


def point_message(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "point",
        "index": row["index"],
        "label": row["label"],
        "status": row["status"],
        "cached": row["cached"],
        "job_id": str(row["job_id"]) if row["job_id"] is not None else None,
        "summary": row["summary"],
        "error": row["error"] or None,
    }


def _read(study_id: str, known: set[int]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    study = selectors.study_live(study_id=study_id)
    return study, selectors.finished_points(study_id=study_id, known=known)


class StudyProgressConsumer(Watcher):
    """Watches one study for its owner (see the module docstring for the messages)."""

    async def open(self, user: Any) -> str | None:
        study_id = self.scope["url_route"]["kwargs"]["study_id"]
        try:
            study = await database_sync_to_async(selectors.study_get)(user=user, study_id=study_id)
        except StudyNotFound as exc:
            await self._refuse(NOT_FOUND, "not_found", str(exc.detail))
            return None
        self.study_id = str(study.pk)
        self.what = f"study {self.study_id}"
        self.known: set[int] = set()
        self.sent: dict[str, Any] | None = None
        return study_group_name(self.study_id)

    async def study_changed(self, message: dict[str, Any]) -> None:
        await self._catch_up()

    async def catch_up(self, *, first: bool) -> None:
        """Send the points finished since the last read, then the counts if they moved."""
        try:
            study, points = await database_sync_to_async(_read)(self.study_id, self.known)
        except Study.DoesNotExist:  # deleted meanwhile
            self.done = True
            await self._refuse(NOT_FOUND, "not_found", f"study {self.study_id} was deleted")
            return
        if first:
            await self.send_json(study_state(study, len(self.known) + len(points)))
        for row in points:
            await self.send_json(point_message(row))
            self.known.add(row["index"])
        progress = study_progress(study, len(self.known))
        if not first and progress != self.sent:
            await self.send_json(progress)
        self.sent = progress
        if study["status"] in FINISHED:
            await self.send_json({"type": "finished", "status": study["status"]})
            self.done = True
            await self.close(code=1000)
