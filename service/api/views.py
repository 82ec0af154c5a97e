"""The machine API: thin views that parse the request, call a service or selector, and answer.

No business rule lives here; see `service.simulator.services` and `.selectors`.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils.http import parse_etags
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from service.accounts.backends import REFUSAL
from service.accounts.tokens import token_issue, token_revoke
from service.api.errors import error_body
from service.api.pagination import JobPagination
from service.api.schema import CONFIG_REF
from service.api.serializers import (
    ErrorSerializer,
    JobDetailSerializer,
    JobListQuerySerializer,
    JobPageSerializer,
    JobSerializer,
    SubmitResponseSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
)
from service.api.throttles import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle
from service.simulator import selectors, services
from service.simulator.errors import ConfigInvalid, JobError

ERRORS = {code: OpenApiResponse(ErrorSerializer) for code in (400, 401, 404, 409, 413, 429)}
DEFAULTS_MAX_AGE = 300


class InvalidCredentials(JobError):
    code = "invalid_credentials"


class JobSubmitApi(APIView):
    """Accept a fully-hydrated config as a job: 202 with its id and status URL."""

    throttle_classes = (AnonRateThrottle, UserRateThrottle, ScopedRateThrottle)
    throttle_scope = "submit"

    @extend_schema(
        operation_id="submit",
        request={"application/json": CONFIG_REF},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                description="Repeat a submit safely: the same key returns the same job.",
            )
        ],
        responses={202: SubmitResponseSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        if request.stream is None:
            raise ConfigInvalid(
                "the body is empty: send the simulation config as JSON",
                [{"path": "", "message": "a config must be a JSON object {...}, got nothing"}],
            )
        job, created = services.job_submit(
            owner=request.user,
            data=request.data,
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        status_url = request.build_absolute_uri(reverse("api:job-status", args=[job.pk]))
        body = {
            "job_id": job.pk,
            "status": job.status,
            "status_url": status_url,
            "result_url": request.build_absolute_uri(reverse("api:job-result", args=[job.pk])),
            "created_at": job.created_at,
        }
        headers = {"Location": status_url}
        if not created:
            headers["Idempotent-Replayed"] = "true"
        return Response(body, status=status.HTTP_202_ACCEPTED, headers=headers)


class JobStatusApi(APIView):
    """A job's status, progress, timestamps, events, error (FAILED) and result (COMPLETE)."""

    @extend_schema(operation_id="status", responses={200: JobDetailSerializer, **ERRORS})
    def get(self, request: Request, job_id: Any) -> Response:
        job = selectors.job_get(user=request.user, job_id=job_id)
        return Response(JobDetailSerializer(job, context={"request": request}).data)


class JobResultApi(APIView):
    """The result document of a COMPLETE job (404 with the reason until then)."""

    @extend_schema(operation_id="result", responses={200: dict, **ERRORS})
    def get(self, request: Request, job_id: Any) -> Response:
        return Response(selectors.job_result(user=request.user, job_id=job_id))


class JobListApi(APIView):
    """The user's jobs, newest first, paginated; ``?status=RUNNING`` and ``?id=<prefix>`` filter."""

    @extend_schema(
        operation_id="jobs",
        parameters=[JobListQuerySerializer],
        responses={200: JobPageSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = JobListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        jobs = selectors.job_list(
            user=request.user,
            status=query.validated_data.get("status"),
            id_prefix=query.validated_data.get("id"),
        )
        paginator = JobPagination()
        page = paginator.paginate_queryset(jobs, request, view=self)
        data = JobSerializer(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)


class JobCancelApi(APIView):
    """Cancel a job: PENDING ends at once, RUNNING stops within seconds (202 until it has)."""

    @extend_schema(
        operation_id="cancel",
        request=None,
        responses={200: JobSerializer, 202: JobSerializer, **ERRORS},
    )
    def post(self, request: Request, job_id: Any) -> Response:
        job = selectors.job_get(user=request.user, job_id=job_id)
        job = services.job_cancel(job=job)
        code = status.HTTP_202_ACCEPTED if not job.is_finished else status.HTTP_200_OK
        return Response(JobSerializer(job, context={"request": request}).data, status=code)


class DefaultsApi(APIView):
    """The standard profiles a new terminal starts with (no authentication; ETag-cacheable)."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (AnonRateThrottle,)

    @extend_schema(operation_id="defaults", responses={200: dict, 304: None})
    def get(self, request: Request) -> Response:
        document, etag = selectors.defaults_document()
        headers = {"ETag": etag, "Cache-Control": f"public, max-age={DEFAULTS_MAX_AGE}"}
        wanted = parse_etags(request.headers.get("If-None-Match", ""))
        if etag in wanted or "*" in wanted:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
        return Response(document, headers=headers)


class TokenApi(APIView):
    """Username and password in, a new API token out (users come from Django's admin).

    Only the token's digest is kept; it expires after ``JOST_TOKEN_TTL_DAYS``. Attempts are
    limited per account and per client address (service.accounts.login_guard): 429 with
    ``Retry-After`` once either is used up, before any password is checked.
    """

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (AnonRateThrottle,)

    @extend_schema(
        operation_id="token",
        request=TokenRequestSerializer,
        responses={200: TokenResponseSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        given = TokenRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=given.validated_data["username"],
            password=given.validated_data["password"],
        )
        refused = getattr(request._request, REFUSAL, None)
        if refused is not None:
            raise Throttled(wait=refused.retry_after, detail=refused.detail)
        if user is None or not user.is_active:
            raise InvalidCredentials(
                "unknown username or wrong password",
                [{"path": "", "message": "unable to log in with these credentials"}],
            )
        return Response({"token": token_issue(user), "username": user.get_username()})


class TokenRevokeApi(APIView):
    """Revoke the token this request is made with (``jost logout``): 204, and it is refused from
    then on (at once here, within ``JOST_TOKEN_CACHE_S`` on every other web process)."""

    @extend_schema(operation_id="token_revoke", request=None, responses={204: None, **ERRORS})
    def post(self, request: Request) -> Response:
        token_revoke(request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up (no database or broker access)."""
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    """The database and the broker are reachable: 200, else 503 naming the failing part."""
    checks = selectors.system_readiness()
    failing = [{"path": part, "message": text} for part, text in checks.items() if text != "ok"]
    if failing:
        body = {**error_body("not_ready", failing[0]["message"], failing), "checks": checks}
        return JsonResponse(body, status=503)
    return JsonResponse({"status": "ready", "checks": checks})
