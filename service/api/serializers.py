"""Output (and query) serializers: the JSON shapes of the API, and nothing else."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from service.api.query import QuerySerializer
from service.simulator.models import JobStatus, SimulationJob


def _absolute(context: dict[str, Any], name: str, job: SimulationJob) -> str:
    url = reverse(f"api:{name}", kwargs={"job_id": job.pk})
    request = context.get("request")
    return request.build_absolute_uri(url) if request is not None else url


class ProgressSerializer(serializers.Serializer):
    rounds_done = serializers.IntegerField()
    rounds_total = serializers.IntegerField()
    fraction = serializers.SerializerMethodField()

    def get_fraction(self, job: SimulationJob) -> float:
        return round(job.rounds_done / job.rounds_total, 6) if job.rounds_total else 0.0


class JobSerializer(serializers.Serializer):
    """A job as listed: everything but the config and the result."""

    job_id = serializers.UUIDField(source="id")
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=JobStatus.choices)
    progress = ProgressSerializer(source="*")
    attempts = serializers.IntegerField()
    cancel_requested = serializers.BooleanField()
    error = serializers.SerializerMethodField()
    config_digest = serializers.CharField()
    engine_version = serializers.CharField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    heartbeat_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    status_url = serializers.SerializerMethodField()
    result_url = serializers.SerializerMethodField()

    def get_error(self, job: SimulationJob) -> str | None:
        return job.error or None

    def get_status_url(self, job: SimulationJob) -> str:
        return _absolute(self.context, "job-status", job)

    def get_result_url(self, job: SimulationJob) -> str:
        return _absolute(self.context, "job-result", job)


class JobPageSerializer(serializers.Serializer):
    """One page of ``GET /api/jobs/`` (``?page=N&page_size=M``)."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = JobSerializer(many=True)


class JobEventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    attempt = serializers.IntegerField()
    message = serializers.CharField()


class JobDetailSerializer(JobSerializer):
    """A job's status page: the list fields, its event log, and the result when COMPLETE."""

    result = serializers.JSONField(source="result_data", allow_null=True)
    events = JobEventSerializer(many=True, source="events.all")


class SubmitResponseSerializer(serializers.Serializer):
    job_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=JobStatus.choices)
    status_url = serializers.URLField()
    result_url = serializers.URLField()
    created_at = serializers.DateTimeField()


class JobListQuerySerializer(QuerySerializer):
    upper_case = ("status",)

    status = serializers.ChoiceField(choices=JobStatus.choices, required=False)
    id = serializers.RegexField(
        r"^[0-9a-fA-F-]{1,36}$",
        required=False,
        help_text="Only jobs whose id starts with this (hex digits, hyphens optional): "
        "how a client finds the job of a shortened id.",
    )


class ErrorSerializer(serializers.Serializer):
    """The shape of every error response."""

    error = serializers.CharField()
    detail = serializers.CharField()
    problems = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(min_length=1, max_length=150)
    password = serializers.CharField(
        min_length=1, max_length=4096, style={"input_type": "password"}, trim_whitespace=False
    )


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
    username = serializers.CharField()
