"""The job ledger: one `SimulationJob` row per accepted config, the single source of truth.

Status, attempts, heartbeat, progress and result all live in the row (never in Celery's result
backend), and every transition is a conditional UPDATE in `services`, so a re-delivered message
can neither run a finished job again nor count anything twice. `SimulationJobEvent` is the
job's log of transitions after submission (started, requeued, completed, ...), kept for people.

Ready for shards (a later issue): a job will own shard rows whose tallies are merged in the
database by the engine's exact merge, with the same conditional-update rules; no chords.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class JobStatus(models.TextChoices):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


FINISHED = (JobStatus.COMPLETE, JobStatus.FAILED, JobStatus.CANCELLED)


class SimulationJob(models.Model):
    """One simulation a user asked for, from acceptance to result (or failure)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="simulation_jobs"
    )
    name = models.CharField(max_length=200, blank=True, default="")
    status = models.CharField(
        max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING, db_index=True
    )
    # The fully-hydrated config the engine runs (every default spelled out), and its digest.
    request_data = models.JSONField()
    config_digest = models.CharField(max_length=64)
    engine_version = models.CharField(max_length=64, blank=True, default="")
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)

    rounds_total = models.BigIntegerField()
    rounds_done = models.BigIntegerField(default=0)
    result_data = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True, default="")

    # Who runs it: each claim (PENDING → RUNNING) increments `attempts` and takes a new
    # `run_token`; writes by a worker are conditional on holding the current token.
    attempts = models.PositiveIntegerField(default=0)
    run_token = models.UUIDField(null=True, blank=True)
    worker = models.CharField(max_length=255, blank=True, default="")
    cancel_requested = models.BooleanField(default=False)

    created_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = (
            models.Index(fields=["owner", "-created_at"], name="job_owner_newest"),
            models.Index(fields=["status", "heartbeat_at"], name="job_status_heartbeat"),
        )
        constraints = (
            models.UniqueConstraint(
                fields=["owner", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="job_owner_idempotency_key",
            ),
        )

    def __str__(self) -> str:
        return f"{self.id} {self.status} {self.name}"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED


class EventKind(models.TextChoices):
    STARTED = "started"
    REQUEUED = "requeued"
    CANCEL_REQUESTED = "cancel_requested"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class SimulationJobEvent(models.Model):
    """One transition of a job, written in the same transaction as the transition itself."""

    job = models.ForeignKey(SimulationJob, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=32, choices=EventKind.choices)
    attempt = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True, default="")

    class Meta:
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"{self.job_id} {self.kind} #{self.attempt}"
