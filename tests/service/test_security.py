"""Security in-process: hashed expiring revocable tokens, login throttles on every login path,
hostile bodies, the site's headers, masked error reports, secrets out of logs."""

from __future__ import annotations

import importlib
import json
import logging
import random
import time
from datetime import timedelta

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from service.accounts import login_guard
from service.accounts.log_redaction import RedactSecrets
from service.accounts.models import ApiToken
from service.accounts.tokens import digest_of, token_issue
from service.api.authentication import forget_tokens
from service.content_policy import MaskingReporterFilter
from service.simulator.models import SimulationJob

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
SMALL = {"rules": {"decks": 1}, "simulation": {"rounds": 1_000, "seed": 7}}


@pytest.fixture(autouse=True)
def _fast_hashing_and_fresh_tokens(settings):
    """A cheap hasher (the guard's arithmetic is what is tested, not PBKDF2's cost)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    forget_tokens()
    yield
    forget_tokens()


class _LoginClock:
    """The login guard's and DRF's throttle clock, held at the start of a window (a real clock
    let 200 slow logins straddle a window's end, which reset the count mid-test); the cache's
    expiry keeps real time."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def login_clock(settings, monkeypatch):
    span = settings.JOST_LOGIN_WINDOW_S
    clock = _LoginClock((int(time.time() // span) + 1) * span + 1.0)
    monkeypatch.setattr(login_guard, "time", clock)
    monkeypatch.setattr(SimpleRateThrottle, "timer", lambda self: clock.now)
    return clock


@pytest.fixture
def carol(django_user_model):
    return django_user_model.objects.create_user("carol", password=PASSWORD, is_staff=True)


def _login(username: str, password: str, xff: str | None = None):
    extra = {"HTTP_X_FORWARDED_FOR": xff} if xff else {}
    body = {"username": username, "password": password}
    return APIClient().post("/api/auth/token/", body, format="json", **extra)


# ---- tokens ------------------------------------------------------------------------------------


def test_only_a_digest_is_stored_and_the_key_works_until_it_expires(carol):
    key = token_issue(carol)
    row = ApiToken.objects.get(user=carol)
    assert row.digest == digest_of(key) and key not in row.digest
    assert timedelta(days=29) < row.expires_at - timezone.now() <= timedelta(days=30)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/jobs/").status_code == 200
    ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    forget_tokens()
    refused = client.get("/api/jobs/")
    assert refused.status_code == 401 and "expired" in refused.json()["detail"]


def test_revoke_ends_the_token_at_once_and_only_that_one(carol):
    keep, drop = token_issue(carol), token_issue(carol)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {drop}")
    assert client.get("/api/jobs/").status_code == 200
    assert client.post("/api/auth/token/revoke/").status_code == 204
    assert client.get("/api/jobs/").status_code == 401
    assert client.post("/api/auth/token/revoke/").status_code == 401
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {keep}")
    assert other.get("/api/jobs/").status_code == 200


def test_the_migration_hashes_clear_tokens_and_they_keep_working(carol):
    from rest_framework.authtoken.models import Token

    plain = Token.objects.create(user=carol).key
    migration = importlib.import_module("service.accounts.migrations.0002_hash_plain_tokens")
    migration.hash_plain_tokens(apps, None)
    assert not Token.objects.exists()  # no key left in clear
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {plain}")
    assert client.get("/api/jobs/").status_code == 200


# ---- brute force -------------------------------------------------------------------------------


def test_200_guesses_from_random_forwarded_addresses_then_the_right_password_is_refused(
    carol, settings, login_clock
):
    statuses = [
        _login("carol", f"guess{i}", xff=f"{random.randrange(1, 223)}.{i % 250}.0.1").status_code
        for i in range(200)
    ]
    limit = settings.JOST_LOGIN_FAILURES_PER_ACCOUNT
    assert statuses[:limit] == [400] * limit and set(statuses[limit:]) == {429}
    right = _login("carol", PASSWORD, xff="9.9.9.9")
    assert right.status_code == 429 and int(right["Retry-After"]) >= 1
    assert right.json()["error"] == "throttled"
    # once the window has passed, the right password works again
    login_clock.now += settings.JOST_LOGIN_WINDOW_S
    again = _login("carol", PASSWORD)
    assert again.status_code == 200, again.content


def test_one_address_guessing_many_accounts_is_refused(carol, settings):
    settings.JOST_LOGIN_FAILURES_PER_ADDRESS = 5
    statuses = [_login(f"nobody{i}", "x").status_code for i in range(8)]
    assert statuses == [400] * 5 + [429] * 3
    assert _login("carol", PASSWORD).status_code == 429  # the address, not the account


def test_a_refused_login_costs_no_password_check(carol, settings, monkeypatch):
    settings.JOST_LOGIN_FAILURES_PER_ACCOUNT = 2
    checks = []
    from django.contrib.auth.backends import ModelBackend

    original = ModelBackend.authenticate
    monkeypatch.setattr(
        ModelBackend, "authenticate", lambda *a, **k: checks.append(1) or original(*a, **k)
    )
    for _ in range(6):
        _login("carol", "wrong")
    assert len(checks) == 2


def test_forwarded_for_is_believed_only_from_a_trusted_proxy(carol, settings):
    settings.JOST_LOGIN_FAILURES_PER_ADDRESS = 3
    settings.JOST_LOGIN_FAILURES_PER_ACCOUNT = 1000
    # untrusted: every guess counts against the peer 127.0.0.1, whatever the header says
    assert [_login("carol", "x", xff=f"10.0.0.{i}").status_code for i in range(4)][-1] == 429
    login_guard._cache().clear()
    settings.JOST_TRUSTED_PROXIES = ["127.0.0.1"]
    # behind a trusted proxy: the client the proxy saw (rightmost untrusted hop) is counted
    spoofed = [_login("carol", "x", xff=f"6.6.6.{i}, 10.0.0.1").status_code for i in range(4)]
    assert spoofed[-1] == 429  # the same real client 10.0.0.1, whatever it wrote before it
    assert _login("carol", PASSWORD, xff="10.0.0.2").status_code == 200


@pytest.mark.parametrize("path", ["/workbench/login/", "/admin/login/"])
def test_the_workbench_and_admin_logins_are_throttled_too(carol, settings, path):
    client = Client()
    wrong = {"username": "carol", "password": "nope"}
    for _ in range(settings.JOST_LOGIN_FAILURES_PER_ACCOUNT):
        assert client.post(path, wrong).status_code == 200  # the form again, with its error
    refused = client.post(path, {"username": "carol", "password": PASSWORD})
    assert refused.status_code == 429 and refused.json()["error"] == "throttled"
    assert int(refused["Retry-After"]) >= 1
    assert "_auth_user_id" not in client.session


def test_a_login_succeeds_and_gives_its_address_the_attempt_back(carol, settings):
    settings.JOST_LOGIN_FAILURES_PER_ADDRESS = 3
    for _ in range(10):
        again = _login("carol", PASSWORD)
    assert again.status_code == 200, again.content
    assert (
        Client()
        .post("/workbench/login/", {"username": "carol", "password": PASSWORD})["Location"]
        .startswith("/workbench")
    )


# ---- hostile input -----------------------------------------------------------------------------

NUL_NAME = '{"name": "a\\u0000b", "simulation": {"rounds": 1000, "seed": 1}}'
SURROGATE_NAME = '{"name": "\\ud800", "simulation": {"rounds": 1000, "seed": 1}}'
SURROGATE_KEY = '{"\\udfff": 1}'
DEEP = "[" * 50_000 + "]" * 50_000
DEEP_OBJECT = '{"a":' * 200 + "1" + "}" * 200


@pytest.fixture
def bench(carol) -> Client:
    client = Client()
    client.force_login(carol)
    return client


@pytest.mark.parametrize("body", [NUL_NAME, SURROGATE_NAME, SURROGATE_KEY, DEEP, DEEP_OBJECT])
def test_unstorable_or_deep_bodies_are_a_400_everywhere(carol, bench, body):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(carol)}")
    answers = [
        api.post("/api/submit/", body, content_type="application/json"),
        bench.post("/workbench/submit/", body, content_type="application/json"),
        bench.post("/workbench/validate/", body, content_type="application/json"),
    ]
    for answer in answers:
        assert answer.status_code == 400, answer.content[:300]
        document = answer.json()
        assert document["error"] in {"invalid_json", "invalid_config"}, document
        assert document["problems"] and document["detail"]
    assert SimulationJob.objects.count() == 0


def _endpoints() -> list[str]:
    """Every routed path, with a job id where one is needed."""
    found: list[str] = []

    def walk(patterns, prefix: str) -> None:
        for entry in patterns:
            route = str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + route)
            elif isinstance(entry, URLPattern) and not route.startswith("^"):
                found.append(
                    "/"
                    + (prefix + route).replace(
                        "<uuid:job_id>", "0" * 8 + "-0000-4000-8000-" + "0" * 12
                    )
                )

    walk(get_resolver().url_patterns, "")
    routed = sorted({p for p in found if "<" not in p and not p.startswith("/admin/")})
    return [*routed, "/admin/login/"]


HOSTILE = [
    NUL_NAME,
    SURROGATE_NAME,
    DEEP,
    '{"simulation": {"rounds": 1e400}}',
    '{"simulation": {"rounds": NaN}}',
    '{"rules": {"decks": "' + "9" * 5000 + '"}}',
    '"just a string"',
    "[]",
    "\xff\xfe not utf-8",
    '{"a": 1, "a": 2, "__proto__": {}}',
    "{" * 3 + "'single quotes'",
    json.dumps({"username": "carol\u0000", "password": "x\ud800"}, ensure_ascii=True),
]


def test_a_corpus_of_hostile_bodies_on_every_endpoint_never_gets_a_500(carol, bench):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(carol)}")
    endpoints = _endpoints()
    assert "/api/submit/" in endpoints and "/workbench/validate/" in endpoints
    failures = []
    for path in endpoints:
        for body in HOSTILE:
            raw = body.encode("utf-8", "surrogatepass")
            # a fresh token each time: the corpus also reaches /api/auth/token/revoke/
            api.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(carol)}")
            for client in (api, bench, Client()):
                for send in (client.post, client.put):
                    answer = send(path, raw, content_type="application/json")
                    if answer.status_code >= 500:
                        failures.append((path, body[:40], answer.status_code))
    assert failures == []
    assert Client().get("/healthz").json() == {"status": "ok"}


# ---- headers, error reports and logs -----------------------------------------------------------


def test_every_page_has_a_content_security_policy_and_the_docs_run_under_it(bench):
    for path in ("/healthz", "/api/defaults/", "/workbench/", "/api/docs/"):
        policy = bench.get(path)["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy
    page = bench.get("/api/docs/").content.decode()
    assert "<script>" not in page  # the Swagger UI's own script is a file, not inline
    runner = bench.get("/workbench/").content.decode()
    assert "onsubmit=" not in runner and "onclick=" not in runner


def test_error_reports_mask_every_url_setting(settings):
    settings.CELERY_BROKER_URL = "redis://:hunter2@broker:6379/0"
    settings.CACHES = {"default": {"LOCATION": "redis://:hunter2@cache:6379/1"}}
    shown = json.dumps(MaskingReporterFilter().get_safe_settings(), default=str)
    assert "hunter2" not in shown


def test_tokens_in_logged_urls_are_redacted(caplog):
    logger = logging.getLogger("uvicorn.access.test")
    logger.addFilter(RedactSecrets())
    with caplog.at_level(logging.INFO, logger="uvicorn.access.test"):
        logger.info(
            '%s - "%s %s HTTP/%s" %d', "1.2.3.4", "GET", "/ws/jobs/x/?token=s3cr3t&a=1", "1.1", 101
        )
        logger.info("WebSocket /ws/jobs/x/?after=3&token=s3cr3t [accepted]")
    text = caplog.text
    assert "s3cr3t" not in text and text.count("token=[redacted]") == 2 and "a=1" in text
