"""``GET /api/jobs/<job_id>/events/``: a job's event log, for a client catching up."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from service.api.serializers import ErrorSerializer
from service.live import messages, selectors
from service.live.serializers import JobEventsQuerySerializer, JobEventsSerializer


class JobEventsApi(APIView):
    """The job's status changes in order (owner only); ``?after=<id>`` returns only newer ones."""

    @extend_schema(
        operation_id="job_events",
        parameters=[JobEventsQuerySerializer],
        responses={
            200: JobEventsSerializer,
            **{code: OpenApiResponse(ErrorSerializer) for code in (400, 401, 404)},
        },
    )
    def get(self, request: Request, job_id: Any) -> Response:
        query = JobEventsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        job = selectors.job_owned(user=request.user, job_id=job_id)
        after = query.validated_data.get("after")
        events = [messages.event(row) for row in selectors.job_events(job_id=job.pk, after=after)]
        body = {
            "job_id": job.pk,
            "status": job.status,
            "last_event": events[-1]["id"] if events else after,
            "events": events,
        }
        return Response(JobEventsSerializer(body).data)
