"""A study on the service: one `Study` row per accepted document, one `StudyPoint` per game.

Each point is played by an ordinary job of the ledger (`service.simulator`), so claims,
heartbeats, the reaper and exactly-once shards apply unchanged; a point only records which job
plays it (or which finished job served it from the cache) and, once that job is COMPLETE, its
summary. A study's status and progress are derived from its points (`services`).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from service.simulator.models import SimulationJob


class StudyStatus(models.TextChoices):
    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    FAILED = "FAILED"  # every point finished, at least one of them FAILED
    CANCELLED = "CANCELLED"


class PointStatus(models.TextChoices):
    WAITING = "WAITING"  # not a job yet: waits for a place in its owner's window
    SUBMITTED = "SUBMITTED"  # its job is in the ledger (PENDING or RUNNING there)
    COMPLETE = "COMPLETE"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


POINT_FINISHED = (PointStatus.COMPLETE, PointStatus.FAILED, PointStatus.CANCELLED)


class Study(models.Model):
    """One study a user asked for: its document and the counts its points add up to."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="studies"
    )
    name = models.CharField(max_length=200, blank=True, default="")
    document = models.JSONField()  # as given (JSON types), for people and for a re-run
    bankroll = models.FloatField(null=True, blank=True)  # units, for each point's risk of ruin
    engine_version = models.CharField(max_length=64)
    status = models.CharField(
        max_length=16, choices=StudyStatus.choices, default=StudyStatus.RUNNING, db_index=True
    )
    points_total = models.PositiveIntegerField()
    points_done = models.PositiveIntegerField(default=0)  # COMPLETE points
    points_failed = models.PositiveIntegerField(default=0)
    points_cached = models.PositiveIntegerField(default=0)  # served by a job run before
    rounds_total = models.BigIntegerField()
    cancel_requested = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = (models.Index(fields=["owner", "status", "created_at"], name="study_owner"),)

    def __str__(self) -> str:
        return f"{self.id} {self.status} {self.name}"

    @property
    def is_finished(self) -> bool:
        return self.status != StudyStatus.RUNNING


class StudyPoint(models.Model):
    """One game of a study: what it changes, its hydrated config and the job that plays it."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="points")
    index = models.PositiveIntegerField()
    label = models.JSONField()  # {path: value} as the study wrote it
    config = models.JSONField()  # fully hydrated, with the point's seed and rounds
    # `jost_engine.point_cache_key` (config + engine version) and the config's digest, by which
    # a plain job of the same config (`SimulationJob.config_digest`) is found
    cache_key = models.CharField(max_length=64, db_index=True)
    config_digest = models.CharField(max_length=64)
    rounds = models.BigIntegerField()
    status = models.CharField(
        max_length=16, choices=PointStatus.choices, default=PointStatus.WAITING
    )
    job = models.ForeignKey(
        SimulationJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cached = models.BooleanField(default=False)  # the job is one that ran before this study
    summary = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    submitted_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("study", "index")
        constraints = (models.UniqueConstraint(fields=["study", "index"], name="point_index"),)
        indexes = (
            models.Index(fields=["status", "study"], name="point_status"),
            models.Index(fields=["job"], name="point_job"),
        )

    def __str__(self) -> str:
        return f"{self.study_id} point {self.index} {self.status}"
