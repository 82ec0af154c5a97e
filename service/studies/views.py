"""The study endpoints: thin views over `services` and `selectors`, owner-only like jobs."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from jost_engine import study_json_schema
from service.api.pagination import JobPagination
from service.api.schema import openapi_30
from service.api.serializers import ErrorSerializer
from service.api.throttles import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle
from service.studies import selectors, services
from service.studies.errors import StudyInvalid
from service.studies.serializers import (
    StudyDetailSerializer,
    StudyListQuerySerializer,
    StudyPageSerializer,
    StudySerializer,
    StudySubmitResponseSerializer,
)

ERRORS = {code: OpenApiResponse(ErrorSerializer) for code in (400, 401, 404, 409, 413, 429)}
_SCHEMA = {k: v for k, v in study_json_schema().items() if k not in ("$schema", "$id")}
STUDY_BODY = openapi_30(_SCHEMA)


class StudyListApi(APIView):
    """``POST``: accept a study (202 with its id; every point validated first). ``GET``: the
    user's studies, newest first, paginated; ``?status=RUNNING`` filters."""

    throttle_classes = (AnonRateThrottle, UserRateThrottle, ScopedRateThrottle)
    throttle_scope = "submit"

    def get_throttles(self) -> list[Any]:
        # only a submit counts against the submit rate; a list is throttled as any read
        if self.request.method == "POST":
            return super().get_throttles()
        return [AnonRateThrottle(), UserRateThrottle()]

    @extend_schema(
        operation_id="study_submit",
        request={"application/json": STUDY_BODY},
        responses={202: StudySubmitResponseSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        if request.stream is None:
            raise StudyInvalid(
                "the body is empty: send the study document as JSON",
                [{"path": "", "message": "a study must be a JSON object {...}, got nothing"}],
            )
        study = services.study_submit(owner=request.user, data=request.data)
        status_url = request.build_absolute_uri(reverse("studies:study-detail", args=[study.pk]))
        body = {
            "id": study.pk,
            "status": study.status,
            "points_total": study.points_total,
            "points_done": study.points_done,
            "points_cached": study.points_cached,
            "status_url": status_url,
            "created_at": study.created_at,
        }
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": status_url})

    @extend_schema(
        operation_id="studies",
        parameters=[StudyListQuerySerializer],
        responses={200: StudyPageSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = StudyListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        studies = selectors.study_list(user=request.user, status=query.validated_data.get("status"))
        paginator = JobPagination()
        page = paginator.paginate_queryset(studies, request, view=self)
        data = StudySerializer(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)


class StudyDetailApi(APIView):
    """A study's status, counts and every point (status, job, summary when COMPLETE)."""

    @extend_schema(operation_id="study", responses={200: StudyDetailSerializer, **ERRORS})
    def get(self, request: Request, study_id: Any) -> Response:
        study = selectors.study_get(user=request.user, study_id=study_id)
        return Response(StudyDetailSerializer(study, context={"request": request}).data)


class StudyCancelApi(APIView):
    """Cancel a study: waiting points at once, running ones within seconds (202 until then)."""

    @extend_schema(
        operation_id="study_cancel",
        request=None,
        responses={200: StudySerializer, 202: StudySerializer, **ERRORS},
    )
    def post(self, request: Request, study_id: Any) -> Response:
        study = selectors.study_get(user=request.user, study_id=study_id)
        study = services.study_cancel(study=study)
        code = status.HTTP_202_ACCEPTED if not study.is_finished else status.HTTP_200_OK
        return Response(StudySerializer(study, context={"request": request}).data, status=code)
