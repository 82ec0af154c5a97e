"""Everything that reads studies: a user only ever sees their own (another user's study is
"not found", never "forbidden")."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Q, QuerySet, Sum

from service.studies.errors import StudyNotFound
from service.studies.models import PointStatus, Study, StudyPoint

POINT_FIELDS = ("index", "label", "status", "job_id", "job__status", "cached", "summary", "error")


def study_list(*, user: AbstractBaseUser, status: str | None = None) -> QuerySet[Study]:
    """The user's studies, newest first, without their documents."""
    studies = Study.objects.filter(owner=user).defer("document")
    if status:
        studies = studies.filter(status=status)
    return studies.order_by("-created_at", "-id")


def study_get(*, user: AbstractBaseUser, study_id: Any) -> Study:
    """One of the user's studies; `StudyNotFound` for a missing one and another user's alike."""
    try:
        key = study_id if isinstance(study_id, uuid.UUID) else uuid.UUID(str(study_id))
    except ValueError:
        raise StudyNotFound(f"no study {study_id}") from None
    study = Study.objects.filter(pk=key, owner=user).first()
    if study is None:
        raise StudyNotFound(f"no study {key} for this user")
    return study


def study_points(*, study_id: Any, after_index: int | None = None) -> list[dict[str, Any]]:
    """Every point of a study in order: a submitted point shows its job's status (PENDING or
    RUNNING), a waiting one WAITING."""
    points = StudyPoint.objects.filter(study_id=study_id)
    if after_index is not None:
        points = points.filter(index__gt=after_index)
    rows = []
    for row in points.order_by("index").values(*POINT_FIELDS):
        job_status = row.pop("job__status")
        if row["status"] == PointStatus.SUBMITTED:
            row["status"] = job_status or PointStatus.SUBMITTED
        rows.append(row)
    return rows


def study_live(*, study_id: Any) -> dict[str, Any]:
    """A study's live counts (what its WebSocket watcher compares between reads), with the
    rounds played so far: those of its COMPLETE points and those its running jobs have done."""
    study = (
        Study.objects.filter(pk=study_id)
        .values(
            "id",
            "name",
            "status",
            "points_total",
            "points_done",
            "points_failed",
            "points_cached",
            "rounds_total",
            "cancel_requested",
            "created_at",
            "finished_at",
        )
        .get()
    )
    rounds = StudyPoint.objects.filter(study_id=study_id).aggregate(
        complete=Sum("rounds", filter=Q(status=PointStatus.COMPLETE)),
        running=Sum("job__rounds_done", filter=Q(status=PointStatus.SUBMITTED)),
    )
    study["rounds_done"] = int(rounds["complete"] or 0) + int(rounds["running"] or 0)
    return study


def finished_points(*, study_id: Any, known: set[int]) -> list[dict[str, Any]]:
    """The study's finished points not in ``known`` (indices), in order."""
    points = (
        StudyPoint.objects.filter(
            study_id=study_id,
            status__in=[PointStatus.COMPLETE, PointStatus.FAILED, PointStatus.CANCELLED],
        )
        .exclude(index__in=known)
        .order_by("index")
    )
    return list(points.values("index", "label", "status", "job_id", "cached", "summary", "error"))
