"""The API in-process through DRF's APIClient: shapes, status codes, auth, limits, errors."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from jost_engine import ConfigError, parse_config, run_simulation_from_config
from jost_engine.profiles import bundled_profiles, default_profile_names
from jost_engine.table import prepare
from service.simulator import services
from service.simulator.models import JobStatus, SimulationJob

pytestmark = pytest.mark.django_db

SMALL = {"rules": {"decks": 1}, "simulation": {"rounds": 20_000, "seed": 7}}
VOLATILE = {"elapsed_s", "rounds_per_second"}


def stable(result: dict) -> dict:
    return {k: v for k, v in result.items() if k not in VOLATILE}


def submit(client: APIClient, body, **headers):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post("/api/submit/", data, content_type="application/json", **headers)


def assert_error_shape(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "detail", "problems"}, body
    assert body["error"] == code, body
    assert isinstance(body["detail"], str) and body["detail"]
    return body


# --------------------------------------------------------------------------------------------
# Submit
# --------------------------------------------------------------------------------------------


def test_submit_accepts_a_config_and_queues_it_after_commit(
    api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = submit(api, SMALL)
    assert response.status_code == 202
    body = response.json()
    job = SimulationJob.objects.get(pk=body["job_id"])
    assert body["status"] == "PENDING"
    assert response["Location"] == body["status_url"]
    assert body["status_url"] == f"http://testserver/api/status/{job.pk}/"
    assert body["result_url"] == f"http://testserver/api/results/{job.pk}/"
    assert len(callbacks) == 1  # dispatch waits for the commit
    # the stored config is the fully-hydrated document the engine runs
    assert job.request_data == parse_config(SMALL).model_dump(mode="json")
    assert job.rounds_total == 20_000
    assert job.owner.username == "alice"


def test_a_job_runs_to_complete_with_the_engines_result(api):
    job_id = submit(api, SMALL).json()["job_id"]
    assert api.get(f"/api/results/{job_id}/").json()["error"] == "result_not_ready"

    assert services.job_run(job_id) == "complete"

    status = api.get(f"/api/status/{job_id}/").json()
    assert status["status"] == "COMPLETE"
    assert status["progress"] == {"rounds_done": 20_000, "rounds_total": 20_000, "fraction": 1.0}
    assert status["error"] is None
    assert [e["kind"] for e in status["events"]] == ["started", "completed"]
    direct = run_simulation_from_config(SMALL, workers=1).to_dict()
    assert stable(status["result"]) == stable(direct)
    result = api.get(f"/api/results/{job_id}")  # the slash is optional
    assert result.status_code == 200
    assert stable(result.json()) == stable(direct)


@pytest.mark.parametrize(
    ("body", "paths"),
    [
        ({"rules": {"decks": "6"}}, ["rules.decks"]),
        ({"rules": {"decks": 9, "surrender": "sometimes"}}, ["rules.decks", "rules.surrender"]),
        ({"rules": {"dealer_hits_soft17": True}}, ["rules.dealer_hits_soft17"]),
        ({"rules": None, "betting": {"ramp": []}}, ["rules", "betting.ramp"]),
        ({"simulation": {"rounds": 0}}, ["simulation.rounds"]),
        ({"schema_version": 2}, ["schema_version"]),
        ([1, 2, 3], [""]),
        ("a string", [""]),
    ],
)
def test_invalid_configs_get_400_with_every_problem_and_its_path(api, body, paths):
    response = submit(api, json.dumps(body))
    problems = assert_error_shape(response, 400, "invalid_config")["problems"]
    assert [p["path"] for p in problems] == paths
    assert all(p["message"] for p in problems)
    assert not SimulationJob.objects.exists()


def test_valid_but_unsupported_settings_and_too_many_rounds_are_refused(api, settings):
    settings.JOST_MAX_ROUNDS = 1_000_000
    body = {"rules": {"infinite_deck": True}, "simulation": {"rounds": 2_000_000}}
    try:  # whatever the simulator cannot play yet, the service refuses with the same paths
        prepare(parse_config(body))
        unsupported = []
    except ConfigError as exc:
        unsupported = [p["path"] for p in exc.problems]
    problems = assert_error_shape(submit(api, body), 400, "invalid_config")["problems"]
    assert [p["path"] for p in problems] == [*unsupported, "simulation.rounds"]
    assert "1,000,000" in problems[-1]["message"]


@pytest.mark.parametrize(
    "raw",
    [b"{'rules': {}}", b'{"rules": ', b'{"rules": {"decks": NaN}}', b"\xff\xfe", b"[" * 100_000],
)
def test_bodies_that_are_not_json_get_400(api, raw):
    body = assert_error_shape(submit(api, raw), 400, "invalid_json")
    assert body["problems"][0]["path"] == ""


def test_an_empty_body_is_not_the_default_game(api):
    response = api.post("/api/submit/", content_type="application/json")
    assert_error_shape(response, 400, "invalid_config")


def test_other_media_types_get_415(api):
    response = api.post("/api/submit/", "decks=6", content_type="application/x-www-form-urlencoded")
    assert_error_shape(response, 415, "unsupported_media_type")


def test_a_huge_body_gets_413_before_it_is_read(api, settings):
    settings.JOST_MAX_BODY_BYTES = 10_000
    body = json.dumps({"name": "x" * 20_000})
    detail = assert_error_shape(submit(api, body), 413, "body_too_large")["detail"]
    assert "10,000" in detail
    assert submit(api, SMALL).status_code == 202


def test_idempotency_key_returns_the_same_job(api):
    first = submit(api, SMALL, HTTP_IDEMPOTENCY_KEY="run-42")
    again = submit(api, SMALL, HTTP_IDEMPOTENCY_KEY="run-42")
    assert first.status_code == again.status_code == 202
    assert first.json()["job_id"] == again.json()["job_id"]
    assert again["Idempotent-Replayed"] == "true"
    assert SimulationJob.objects.count() == 1
    other = submit(api, {**SMALL, "name": "another"}, HTTP_IDEMPOTENCY_KEY="run-42")
    assert_error_shape(other, 409, "idempotency_conflict")
    assert submit(api, SMALL).json()["job_id"] != first.json()["job_id"]  # no key, a new job
    too_long = submit(api, SMALL, HTTP_IDEMPOTENCY_KEY="k" * 300)
    assert_error_shape(too_long, 400, "invalid_request")


def test_idempotency_keys_belong_to_their_user(api, other_api):
    mine = submit(api, SMALL, HTTP_IDEMPOTENCY_KEY="same").json()["job_id"]
    theirs = submit(other_api, SMALL, HTTP_IDEMPOTENCY_KEY="same").json()["job_id"]
    assert mine != theirs


# --------------------------------------------------------------------------------------------
# Auth and ownership
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/submit/"),
        ("get", "/api/status/8ff22bc0-da2c-4a69-b42b-edd3bd9eba02/"),
        ("get", "/api/results/226de9d6-308a-40db-a2e3-f7cb91360362/"),
        ("get", "/api/jobs/"),
        ("post", "/api/jobs/d91818ad-18bc-48bf-9985-049ea58e01d7/cancel/"),
    ],
)
def test_every_job_endpoint_needs_a_token(method, path):
    client = APIClient()
    assert_error_shape(getattr(client, method)(path), 401, "not_authenticated")
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert_error_shape(getattr(client, method)(path), 401, "not_authenticated")


def test_a_token_for_a_username_and_password(user):
    client = APIClient()
    response = client.post(
        "/api/auth/token/",
        {"username": "alice", "password": "correct horse battery"},
        format="json",
    )
    assert response.status_code == 200
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/jobs/").status_code == 200
    # a second login: a new token (only digests are kept), and the first still works
    again = client.post(
        "/api/auth/token/",
        {"username": "alice", "password": "correct horse battery"},
        format="json",
    )
    assert again.json()["token"] != token
    assert client.get("/api/jobs/").status_code == 200

    wrong = APIClient().post(
        "/api/auth/token/", {"username": "alice", "password": "nope"}, format="json"
    )
    assert_error_shape(wrong, 400, "invalid_credentials")
    missing = APIClient().post("/api/auth/token/", {"username": "alice"}, format="json")
    problems = assert_error_shape(missing, 400, "invalid_request")["problems"]
    assert problems[0]["path"] == "password"


def test_another_users_job_is_not_found(api, other_api):
    job_id = submit(api, SMALL).json()["job_id"]
    for path in (f"/api/status/{job_id}/", f"/api/results/{job_id}/"):
        assert_error_shape(other_api.get(path), 404, "not_found")
    assert_error_shape(other_api.post(f"/api/jobs/{job_id}/cancel/"), 404, "not_found")
    assert other_api.get("/api/jobs/").json()["count"] == 0
    assert SimulationJob.objects.get(pk=job_id).status == JobStatus.PENDING
    assert_error_shape(api.get(f"/api/status/{uuid.uuid4()}/"), 404, "not_found")


# --------------------------------------------------------------------------------------------
# List, cancel
# --------------------------------------------------------------------------------------------


def test_jobs_are_listed_newest_first_paginated_and_filtered(api):
    ids = [submit(api, {**SMALL, "name": f"job {i}"}).json()["job_id"] for i in range(5)]
    services.job_run(ids[0])
    page = api.get("/api/jobs/?page_size=2").json()
    assert page["count"] == 5
    assert [job["job_id"] for job in page["results"]] == [ids[4], ids[3]]
    assert page["next"].endswith("page=2&page_size=2")
    assert "result" not in page["results"][0] and "events" not in page["results"][0]
    complete = api.get("/api/jobs/?status=complete").json()
    assert [job["job_id"] for job in complete["results"]] == [ids[0]]
    for given in ("DONE", ""):
        bad = assert_error_shape(api.get(f"/api/jobs/?status={given}"), 400, "invalid_request")
        assert bad["problems"][0]["path"] == "status", given
    assert_error_shape(api.get("/api/jobs/?page=9"), 404, "not_found")


def test_cancel_a_pending_job_and_it_never_runs(api):
    job_id = submit(api, SMALL).json()["job_id"]
    response = api.post(f"/api/jobs/{job_id}/cancel/")
    assert response.status_code == 200
    assert response.json()["status"] == "CANCELLED"
    assert services.job_run(job_id) == "skipped"
    assert api.post(f"/api/jobs/{job_id}/cancel/").status_code == 200  # idempotent
    body = assert_error_shape(api.get(f"/api/results/{job_id}/"), 404, "result_not_ready")
    assert "cancelled" in body["detail"]


def test_cancel_a_running_job_sets_the_flag_its_worker_reads(api):
    job_id = submit(api, SMALL).json()["job_id"]
    claim = services.job_claim(job_id, worker="test")
    response = api.post(f"/api/jobs/{job_id}/cancel/")
    assert response.status_code == 202
    assert response.json()["status"] == "RUNNING"
    assert response.json()["cancel_requested"] is True
    assert services.job_stop_reason(claim) == "cancel"


def test_a_finished_job_cannot_be_cancelled(api):
    job_id = submit(api, SMALL).json()["job_id"]
    services.job_run(job_id)
    assert_error_shape(api.post(f"/api/jobs/{job_id}/cancel/"), 409, "not_cancellable")


# --------------------------------------------------------------------------------------------
# Defaults, health, schema, errors, throttles
# --------------------------------------------------------------------------------------------


def test_defaults_are_the_engines_bundled_profiles_with_an_etag():
    client = APIClient()
    response = client.get("/api/defaults/")
    assert response.status_code == 200
    body = response.json()
    assert body["profiles"] == bundled_profiles()
    assert body["defaults"] == default_profile_names()
    etag = response["ETag"]
    assert etag.startswith('"') and "max-age" in response["Cache-Control"]
    cached = client.get("/api/defaults/", HTTP_IF_NONE_MATCH=etag)
    assert cached.status_code == 304
    assert cached["ETag"] == etag
    assert client.get("/api/defaults/", HTTP_IF_NONE_MATCH='"stale"').status_code == 200


def test_health_and_readiness():
    client = APIClient()
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "broker": "ok", "reaper": "ok"}


def test_readiness_names_an_unreachable_broker(monkeypatch):
    from service.celery_app import app

    # Celery reads CELERY_BROKER_URL from the environment before its own setting
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.setitem(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(app.conf, "broker_write_url", "redis://127.0.0.1:1/0")
    response = APIClient().get("/readyz")
    body = response.json()
    assert response.status_code == 503
    assert body["error"] == "not_ready"
    assert [p["path"] for p in body["problems"]] == ["broker"]
    assert body["checks"]["database"] == "ok"


def test_the_openapi_schema_documents_the_api_and_the_config():
    client = APIClient()
    schema = client.get("/api/schema/?format=json").json()
    assert {"/api/submit/", "/api/status/{job_id}/", "/api/defaults/"} <= set(schema["paths"])
    assert "/api/submit" not in schema["paths"]  # the slash-less aliases are not documented
    body = schema["paths"]["/api/submit/"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/JostConfig"}
    components = schema["components"]["schemas"]
    assert "rules" in components["JostConfig"]["properties"]
    assert all(
        ref.split("/")[-1] in components
        for ref in _refs(components["JostConfig"])
        if ref.startswith("#/components/schemas/")
    )
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()


def test_the_browsable_docs_load_every_asset_from_the_service_itself():
    """Offline (a local-first install, a closed network) the page must not stay blank: no CDN."""
    client = APIClient()
    page = client.get("/api/docs/").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets, page
    outside = [a for a in assets if re.match(r"^(https?:)?//", a)]
    assert outside == [], outside
    scripts = [a for a in assets if a.endswith(".js")]
    assert any("swagger-ui-bundle" in a for a in scripts), assets
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert len(body) > 100, asset


def _refs(node) -> list[str]:
    if isinstance(node, dict):
        return [node["$ref"]] if "$ref" in node else [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_unknown_urls_and_methods_answer_json():
    client = APIClient()
    assert_error_shape(client.get("/nowhere"), 404, "not_found")
    assert_error_shape(client.get(f"/api/status/{'x' * 10}/"), 404, "not_found")
    assert_error_shape(client.delete("/api/defaults/"), 405, "method_not_allowed")
    assert_error_shape(client.get("/healthz", HTTP_HOST="evil.example"), 400, "bad_request")


def test_an_unexpected_error_is_a_json_500_without_a_traceback(api, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("service.simulator.selectors.job_list", broken)
    response = api.get("/api/jobs/")
    body = assert_error_shape(response, 500, "server_error")
    assert "secret" not in response.content.decode()
    assert "Traceback" not in body["detail"]


def test_submits_are_throttled_per_user(api, other_api, monkeypatch):
    rates = {**SimpleRateThrottle.THROTTLE_RATES, "submit": "2/minute"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    assert submit(api, SMALL).status_code == 202
    assert submit(api, SMALL).status_code == 202
    throttled = submit(api, SMALL)
    assert_error_shape(throttled, 429, "throttled")
    assert int(throttled["Retry-After"]) > 0
    assert submit(other_api, SMALL).status_code == 202  # another user has their own budget
