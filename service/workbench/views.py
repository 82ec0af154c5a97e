"""Workbench pages: thin views over the simulator's services and the workbench's selectors.

Staff only, behind Django's login: an anonymous visitor is sent to the login page, a logged-in
user who is not staff gets 403. The JSON endpoints the runner page calls (validate, submit)
use the session and Django's CSRF protection, not API tokens.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_GET, require_POST

from jost_engine.json_text import JSONTextError, read_json
from service.api.errors import error_body
from service.api.parsers import UnstorableText, refuse_unstorable
from service.simulator import selectors as simulator_selectors
from service.simulator import services
from service.simulator.errors import ConfigInvalid, JobError
from service.simulator.models import JobStatus
from service.workbench import selectors

PAGE_SIZE = 50


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous: the login page; logged in but not staff: 403."""

    @login_required(login_url=reverse_lazy("workbench:login"))
    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_staff:
            return render(request, "workbench/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return guarded


def staff_json(view: Callable[..., JsonResponse]) -> Callable[..., JsonResponse]:
    """The runner's JSON endpoints: 401 or 403 as the API's JSON errors, never a redirect."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        if not request.user.is_authenticated:
            body = error_body("not_authenticated", "log in to the workbench first")
            return JsonResponse(body, status=401)
        if not request.user.is_staff:
            return JsonResponse(error_body("forbidden", "the workbench is for staff"), status=403)
        return view(request, *args, **kwargs)

    return guarded


class LoginView(auth_views.LoginView):
    template_name = "workbench/login.html"
    redirect_authenticated_user = False
    next_page = reverse_lazy("workbench:runner")


class LogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("workbench:login")


# ---- Raw JSON Runner --------------------------------------------------------------------------


@require_GET
@staff_required
def runner(request: HttpRequest) -> HttpResponse:
    """The JSON editor, pre-filled from the standard profiles (or a job's config to re-run)."""
    document, _ = simulator_selectors.defaults_document()
    config_text = ""
    watch = request.GET.get("job", "")
    if watch:
        job = selectors.job_any(job_id=watch)
        config_text = selectors.pretty_json(job.request_data)
        watch = str(job.pk)
    context = {"defaults": document, "config_text": config_text, "watch": watch}
    return render(request, "workbench/runner.html", context)


def _config_body(request: HttpRequest) -> object:
    """The body as the API reads it (the engine's strict JSON, no unstorable text, not nested
    past any config's depth): every failure a 400 naming it, never a 500."""
    try:
        return refuse_unstorable(read_json(request.body or b"null", "the config", strict=True))
    except (JSONTextError, UnstorableText) as exc:
        problem = {"path": "", "message": str(exc)}
        raise ConfigInvalid("the config is not usable JSON", [problem]) from None


def _error(exc: JobError) -> JsonResponse:
    return JsonResponse(error_body(exc.code, exc.detail, exc.problems), status=exc.status_code)


@require_POST
@staff_json
def validate(request: HttpRequest) -> JsonResponse:
    """Check a config as the service would, without running it; problems come with paths."""
    try:
        config = services.validate_job_config(_config_body(request))
    except JobError as exc:
        return _error(exc)
    rounds = config.simulation.rounds
    return JsonResponse({"valid": True, "detail": f"valid: {rounds:,} rounds", "problems": []})


@require_POST
@staff_json
def submit(request: HttpRequest) -> JsonResponse:
    """Submit a config as the logged-in developer's job; its socket and page to watch."""
    try:
        job, _ = services.job_submit(owner=request.user, data=_config_body(request))
    except JobError as exc:
        return _error(exc)
    return JsonResponse(_job_links(job.pk, job.status), status=202)


def _job_links(job_id: Any, status: str) -> dict[str, str]:
    return {
        "job_id": str(job_id),
        "status": status,
        "socket": f"/ws/jobs/{job_id}/",
        "job_url": reverse("workbench:job", args=[job_id]),
        "result_table_url": reverse("workbench:job-result-table", args=[job_id]),
    }


# ---- Job History ------------------------------------------------------------------------------


@require_GET
@staff_required
def history(request: HttpRequest) -> HttpResponse:
    """Recent jobs of every user, filtered by status and user, with size, duration and pace."""
    status = request.GET.get("status", "").upper()
    if status not in JobStatus.values:
        status = ""
    username = request.GET.get("user", "").strip()
    jobs = selectors.job_history(status=status or None, username=username or None)
    page = Paginator(jobs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(job, selectors.job_pace(job)) for job in page]
    context = {
        "page": page,
        "rows": rows,
        "status": status,
        "username": username,
        "statuses": JobStatus.values,
        "owners": selectors.job_owners(),
    }
    return render(request, "workbench/history.html", context)


@require_GET
@staff_required
def job(request: HttpRequest, job_id: Any) -> HttpResponse:
    """One job: its config, its event log and its result (as tables and raw JSON)."""
    found = selectors.job_any(job_id=job_id)
    context = {
        "job": found,
        "pace": selectors.job_pace(found),
        "events": list(found.events.order_by("id")),
        "config_json": selectors.pretty_json(found.request_data),
        "result_json": selectors.pretty_json(found.result_data) if found.result_data else "",
        "tables": selectors.result_tables(found.result_data) if found.result_data else [],
    }
    return render(request, "workbench/job.html", context)


@require_GET
@staff_required
def job_config(request: HttpRequest, job_id: Any) -> JsonResponse:
    """The job's hydrated config as JSON (to save or paste into the runner)."""
    found = selectors.job_any(job_id=job_id)
    return JsonResponse(found.request_data, json_dumps_params={"indent": 2})


@require_GET
@staff_required
def job_result_table(request: HttpRequest, job_id: Any) -> HttpResponse:
    """The result tables alone: the runner page puts them in place when a job completes."""
    found = selectors.job_any(job_id=job_id)
    tables = selectors.result_tables(found.result_data) if found.result_data else []
    return render(request, "workbench/_result_tables.html", {"tables": tables})


@require_POST
@staff_required
def rerun(request: HttpRequest, job_id: Any) -> HttpResponse:
    """Submit a job's config again, as the developer's own job, and watch it in the runner."""
    found = selectors.job_any(job_id=job_id)
    try:
        again, _ = services.job_submit(owner=request.user, data=found.request_data)
    except JobError as exc:
        return render(request, "workbench/forbidden.html", {"error": exc.detail}, status=400)
    return redirect(f"{reverse('workbench:runner')}?job={again.pk}")
