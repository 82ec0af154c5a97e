"""The JSON shape of a job's event log over HTTP."""

from __future__ import annotations

from rest_framework import serializers

from service.api.query import QuerySerializer
from service.simulator.models import JobStatus


class LoggedJobEventSerializer(serializers.Serializer):
    """One entry of the persisted log (with its id and the status it led to)."""

    id = serializers.IntegerField(help_text="Increases along the log; pass as ?after= to resume.")
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    status = serializers.ChoiceField(
        choices=JobStatus.choices, allow_null=True, help_text="The job's status after it."
    )
    attempt = serializers.IntegerField()
    message = serializers.CharField(allow_blank=True)


class JobEventsSerializer(serializers.Serializer):
    job_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=JobStatus.choices)
    last_event = serializers.IntegerField(allow_null=True)
    events = LoggedJobEventSerializer(many=True)


class JobEventsQuerySerializer(QuerySerializer):
    after = serializers.IntegerField(
        required=False, min_value=0, help_text="Only events after this id (a reconnect)."
    )
