"""The job ledger: one `SimulationJob` row per accepted config, the single source of truth.

Status, attempts, heartbeat, progress and result all live in the row (never in Celery's result
backend), and every transition is a conditional UPDATE (`leases`, `services`), so a re-delivered
message can neither run a finished job again nor count anything twice. `SimulationJobEvent` is the
job's log of transitions after submission (started, requeued, completed, ...), kept for people.

A job of more than ``JOST_SHARD_ROUNDS`` rounds owns `JobShard` rows (``shard_count`` > 0),
each run by any worker under the same conditional-update rules; the last shard to store its tally
merges them all, exactly, in the transaction that marks the job COMPLETE. No chords.
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
    rounds_done = models.BigIntegerField(default=0)  # of a sharded job: the sum over its shards
    shard_count = models.PositiveIntegerField(default=0)  # 0: one task runs the whole job
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

    @property
    def is_sharded(self) -> bool:
        return self.shard_count > 0


class JobShard(models.Model):
    """One piece of a sharded job: a run of consecutive engine shards, its own attempts and tally.

    Unique per (job, index): a shard's tally is written once, by the claim that holds it, so a
    re-delivered or re-run shard can never count twice.
    """

    job = models.ForeignKey(SimulationJob, on_delete=models.CASCADE, related_name="shards")
    index = models.PositiveIntegerField()
    # The engine shards (``jost_engine.plan_shards``) this shard plays: [first, first + count).
    first_engine_shard = models.PositiveIntegerField()
    engine_shard_count = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING)
    rounds_total = models.BigIntegerField()
    rounds_done = models.BigIntegerField(default=0)
    tally = models.JSONField(null=True, blank=True)  # the merged engine `Tally`, as a dict
    error = models.TextField(blank=True, default="")

    attempts = models.PositiveIntegerField(default=0)
    run_token = models.UUIDField(null=True, blank=True)
    worker = models.CharField(max_length=255, blank=True, default="")

    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("job", "index")
        indexes = (models.Index(fields=["status", "heartbeat_at"], name="shard_status_heartbeat"),)
        constraints = (models.UniqueConstraint(fields=["job", "index"], name="shard_job_index"),)

    def __str__(self) -> str:
        return f"{self.job_id} shard {self.index} {self.status}"


class EventKind(models.TextChoices):
    STARTED = "started"
    REQUEUED = "requeued"
    CANCEL_REQUESTED = "cancel_requested"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SHARD_REQUEUED = "shard_requeued"
    SHARD_FAILED = "shard_failed"


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


class ReaperRun(models.Model):
    """The reaper's turn ticket and last run: every worker reaps, one turn per interval
    (`reaper_turns`), and /readyz reports a reaper that stopped (no worker left)."""

    name = models.CharField(primary_key=True, max_length=32)
    started_at = models.DateTimeField()  # taken by one conditional UPDATE: whose turn it is
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} last finished {self.finished_at}"
