"""Fixtures of the service tests: Django configured for this directory only, and live stacks.

In-process tests (services called directly, the API through DRF's APIClient) run against a
per-session PostgreSQL database (``jost_test_<pid>``, made and dropped by pytest-django) with an
in-memory broker. Live tests start the real thing as subprocesses — Gunicorn, Celery workers
with beat — on PostgreSQL + Redis and on the embedded default (SQLite + file-system broker).

PostgreSQL at ``JOST_TEST_POSTGRES_URL`` (default ``postgres://postgres@127.0.0.1:5432/postgres``)
and Redis at ``JOST_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/9``): when one is missing
its tests are skipped with the reason, except under ``CI=true``, where they fail. Without
PostgreSQL the in-process tests fall back to SQLite.

Django is configured here, when this directory is collected, so ``pytest tests/engine`` never
needs Django at all.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
POSTGRES_URL = os.environ.get(
    "JOST_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("JOST_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
ORIGINAL_ENV = dict(os.environ)
SERVICE_PACKAGES = ("django", "rest_framework", "celery", "drf_spectacular", "psycopg", "redis")
MISSING_PACKAGES = [name for name in SERVICE_PACKAGES if importlib.util.find_spec(name) is None]

if MISSING_PACKAGES and CI:
    raise RuntimeError(
        f"CI=true but the service packages {MISSING_PACKAGES} are missing: "
        "install the project with `.[test,service]`"
    )


def require(reason: str | None) -> None:
    """Skip with ``reason`` (a missing server), or fail under CI=true, where nothing may be."""
    if reason is None:
        return
    if CI:
        pytest.fail(f"{reason} (CI=true: every server the tests use must be there)")
    pytest.skip(reason)


def postgres_problem() -> str | None:
    try:
        import psycopg

        with psycopg.connect(POSTGRES_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        return f"PostgreSQL is not reachable at {POSTGRES_URL}: {type(exc).__name__}: {exc}"
    return None


def redis_problem() -> str | None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:
        return f"Redis is not reachable at {REDIS_URL}: {type(exc).__name__}: {exc}"
    return None


def _configure_django() -> str | None:
    """Point Django at this session's database; returns why PostgreSQL is not used, if it isn't."""
    import django

    reason = postgres_problem()
    session_dir = Path(tempfile.mkdtemp(prefix="jost-service-tests-"))
    env = {
        "DJANGO_SETTINGS_MODULE": "service.settings",
        "JOST_DATA_DIR": str(session_dir),
        "CELERY_BROKER_URL": "memory://",
        "JOST_LOG_LEVEL": "WARNING",
    }
    if reason is None:
        base = POSTGRES_URL.rsplit("/", 1)[0]
        env["DATABASE_URL"] = f"{base}/jost_test_{os.getpid()}"
    for name in ("DATABASE_URL", "REDIS_URL", "CACHE_URL", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)
    os.environ.update(env)
    django.setup()
    # Settings are read; give the environment back to everything else in this pytest process,
    # except the variable pytest-django looks for.
    os.environ.clear()
    os.environ.update(ORIGINAL_ENV)
    os.environ["DJANGO_SETTINGS_MODULE"] = "service.settings"
    return reason


POSTGRES_FALLBACK_REASON = None if MISSING_PACKAGES else _configure_django()


def pytest_report_header(config: pytest.Config) -> list[str]:
    if MISSING_PACKAGES:
        return [f"service tests: skipped, missing packages {MISSING_PACKAGES}"]
    if POSTGRES_FALLBACK_REASON:
        return [f"service tests: in-process on SQLite ({POSTGRES_FALLBACK_REASON})"]
    return ["service tests: in-process on PostgreSQL"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not MISSING_PACKAGES:
        return
    skip = pytest.mark.skip(reason=f"service packages missing: {', '.join(MISSING_PACKAGES)}")
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(skip)


if not MISSING_PACKAGES:
    from tests.service.live import Stack, start_stack

    @pytest.fixture
    def needs_postgres() -> None:
        """In-process tests that only mean something on PostgreSQL."""
        require(POSTGRES_FALLBACK_REASON)

    @pytest.fixture
    def user(django_user_model):
        return django_user_model.objects.create_user("alice", password="correct horse battery")

    @pytest.fixture
    def other_user(django_user_model):
        return django_user_model.objects.create_user("bob", password="another staple")

    @pytest.fixture
    def api(user):
        from rest_framework.test import APIClient

        from service.accounts.tokens import token_issue

        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user)}")
        return client

    @pytest.fixture
    def other_api(other_user):
        from rest_framework.test import APIClient

        from service.accounts.tokens import token_issue

        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(other_user)}")
        return client

    @pytest.fixture(autouse=True)
    def _fresh_throttles():
        """Throttle counters live in the caches; each test starts with none."""
        from django.core.cache import caches

        for cache in caches.all():
            cache.clear()
        yield

    def _session_stack(backend: str, tmp_path_factory) -> Iterator[Stack]:
        if backend == "postgres-redis":
            require(postgres_problem())
            require(redis_problem())
        live = start_stack(
            backend,
            tmp_path_factory.mktemp(f"live-{backend}"),
            base_env=ORIGINAL_ENV,
            postgres_url=POSTGRES_URL,
            redis_url=REDIS_URL,
        )
        yield live
        live.stop()

    @pytest.fixture(scope="session")
    def postgres_redis_stack(tmp_path_factory) -> Iterator[Stack]:
        yield from _session_stack("postgres-redis", tmp_path_factory)

    @pytest.fixture(scope="session")
    def embedded_stack(tmp_path_factory) -> Iterator[Stack]:
        yield from _session_stack("embedded", tmp_path_factory)

    @pytest.fixture(params=["postgres-redis", "embedded"])
    def stack(request) -> Stack:
        """A running service (Gunicorn + one Celery worker with beat) on one backend.

        Each backend's stack lives for the whole session: a session-scoped *parametrized*
        fixture is torn down whenever the other parameter comes round, and under xdist's
        file-by-file scheduling that was every file (a stack's start costs ~20 s)."""
        name = "postgres_redis_stack" if request.param == "postgres-redis" else "embedded_stack"
        return request.getfixturevalue(name)
