"""Output (and query) serializers of the study endpoints: their JSON shapes and nothing else."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from service.api.query import QuerySerializer
from service.studies import selectors
from service.studies.models import PointStatus, Study, StudyStatus

POINT_STATUSES = [*PointStatus.values, "PENDING", "RUNNING"]


def _absolute(context: dict[str, Any], url: str) -> str:
    request = context.get("request")
    return request.build_absolute_uri(url) if request is not None else url


class StudyPointSerializer(serializers.Serializer):
    """One point: what it changes, where it stands, its job and (COMPLETE) its summary."""

    index = serializers.IntegerField()
    label = serializers.DictField(help_text="{config path: value} as the study wrote it")
    status = serializers.ChoiceField(
        choices=POINT_STATUSES,
        help_text="WAITING for its owner's window, its job's PENDING or RUNNING, or finished",
    )
    job_id = serializers.UUIDField(allow_null=True)
    result_url = serializers.SerializerMethodField()
    cached = serializers.BooleanField(help_text="served by a job this user ran before")
    summary = serializers.DictField(allow_null=True, help_text="docs/study.md, 'Summary'")
    error = serializers.SerializerMethodField()

    def get_result_url(self, point: dict[str, Any]) -> str | None:
        if point["job_id"] is None:
            return None
        return _absolute(self.context, reverse("api:job-result", args=[point["job_id"]]))

    def get_error(self, point: dict[str, Any]) -> str | None:
        return point["error"] or None


class StudySerializer(serializers.Serializer):
    """A study as listed: its counts, without its points."""

    id = serializers.UUIDField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=StudyStatus.choices)
    points_total = serializers.IntegerField()
    points_done = serializers.IntegerField(help_text="COMPLETE points")
    points_failed = serializers.IntegerField()
    points_cached = serializers.IntegerField(help_text="points served from the cache")
    rounds_total = serializers.IntegerField()
    bankroll = serializers.FloatField(allow_null=True)
    engine_version = serializers.CharField()
    cancel_requested = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    status_url = serializers.SerializerMethodField()

    def get_status_url(self, study: Study) -> str:
        return _absolute(self.context, reverse("studies:study-detail", args=[study.pk]))


class StudyDetailSerializer(StudySerializer):
    """A study's page: the list fields, its document and every point."""

    document = serializers.DictField()
    points = serializers.SerializerMethodField()

    @extend_schema_field(StudyPointSerializer(many=True))
    def get_points(self, study: Study) -> list[dict[str, Any]]:
        rows = selectors.study_points(study_id=study.pk)
        return list(StudyPointSerializer(rows, many=True, context=self.context).data)


class StudyPageSerializer(serializers.Serializer):
    """One page of ``GET /api/studies/`` (``?page=N&page_size=M``)."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = StudySerializer(many=True)


class StudySubmitResponseSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=StudyStatus.choices)
    points_total = serializers.IntegerField()
    points_done = serializers.IntegerField()
    points_cached = serializers.IntegerField()
    status_url = serializers.URLField()
    created_at = serializers.DateTimeField()


class StudyListQuerySerializer(QuerySerializer):
    upper_case = ("status",)

    status = serializers.ChoiceField(choices=StudyStatus.choices, required=False)
