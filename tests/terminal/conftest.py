"""Fixtures of the terminal tests: a private JOST_HOME for every test, and a live service.

The live service is the service tests' own stack (`tests.service.live.start_stack`): Gunicorn and
a Celery worker on PostgreSQL + Redis, started once for the terminal tests that need it, and
skipped with the reason when a server is missing (failed under CI=true).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def jost_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets an empty home: profiles, history and login never touch the player's."""
    home = tmp_path / "jost-home"
    monkeypatch.setenv("JOST_HOME", str(home))
    for name in ("JOST_URL", "JOST_TOKEN", "VISUAL", "EDITOR"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """A running service on PostgreSQL + Redis; user alice has a password and a token."""
    from tests.service.conftest import (
        MISSING_PACKAGES,
        ORIGINAL_ENV,
        POSTGRES_URL,
        REDIS_URL,
        postgres_problem,
        redis_problem,
        require,
    )

    require(f"service packages missing: {MISSING_PACKAGES}" if MISSING_PACKAGES else None)
    require(postgres_problem())
    require(redis_problem())
    from tests.service.live import start_stack

    stack = start_stack(
        "postgres-redis",
        tmp_path_factory.mktemp("terminal-live"),
        label="-terminal",  # apart from the service tests' stack in the same test process
        base_env={k: v for k, v in ORIGINAL_ENV.items() if k != "JOST_HOME"},
        postgres_url=POSTGRES_URL,
        redis_url=REDIS_URL,
    )
    try:
        stack.manage(
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model; "
            "u = get_user_model().objects.get(username='alice'); "
            f"u.set_password({PASSWORD!r}); u.save()",
        )
        yield stack
    finally:
        stack.stop()
