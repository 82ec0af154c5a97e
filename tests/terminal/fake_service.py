"""A JOST service in memory, for the client side of a remote run: `httpx.MockTransport` answers
submit, status, result and cancel the way the API does (README "The service"), and keeps every
request it was sent. Behaviour against a real service is tested with the live `service` fixture.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

import httpx
import pytest

from jost_engine import run_simulation_from_config
from user_terminal import game_run
from user_terminal.remote import ServiceClient

URL = "http://jost.test"
TOKEN = "fake-token"


class FakeService:
    """One job at a time: ``polls`` RUNNING answers, then COMPLETE (never, when ``polls`` is
    None) with ``result``, or without one the engine's result of the config submitted;
    ``on_submit(request)`` may raise, as a Ctrl-C during the request does."""

    def __init__(
        self,
        result: dict[str, Any] | None = None,
        polls: int | None = 1,
        on_submit: Callable[[httpx.Request], None] | None = None,
    ) -> None:
        self.result, self.polls, self.on_submit = result, polls, on_submit
        self.requests: list[httpx.Request] = []
        self.jobs: dict[str, str] = {}  # Idempotency-Key -> job id
        self.cancelled: list[str] = []
        self.transport = httpx.MockTransport(self.answer)

    def submits(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path == "/api/submit/"]

    def answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path == "/api/submit/":
            if self.on_submit is not None:
                self.on_submit(request)
            key = request.headers.get("Idempotency-Key") or str(uuid.uuid4())
            job = self.jobs.setdefault(key, str(uuid.uuid4()))
            return httpx.Response(201, json={"job_id": job, "status": "PENDING"})
        job = path.strip("/").split("/")[2]  # api/status/<job>, api/jobs/<job>/cancel, …
        if path.startswith("/api/jobs/") and path.endswith("/cancel/"):
            self.cancelled.append(job)
            return httpx.Response(200, json={"job_id": job, "status": "CANCELLED"})
        if path.startswith("/api/status/"):
            polled = sum(r.url.path == path for r in self.requests)
            done = self.polls is not None and polled > self.polls
            total = json.loads(self.submits()[-1].content)["simulation"]["rounds"]
            progress = {"rounds_done": total if done else 0, "rounds_total": total}
            state = "COMPLETE" if done else "RUNNING"
            return httpx.Response(200, json={"job_id": job, "status": state, "progress": progress})
        if path.startswith("/api/results/"):
            config = json.loads(self.submits()[-1].content)
            result = self.result or run_simulation_from_config(config, workers=1).to_dict()
            return httpx.Response(200, json=result)
        return httpx.Response(404, json={"error": "not_found", "detail": path})


def install(monkeypatch: pytest.MonkeyPatch, service: FakeService) -> None:
    """Make the run path's client talk to ``service``, logged in by the environment."""
    monkeypatch.setattr(
        game_run, "ServiceClient", partial(ServiceClient, transport=service.transport)
    )
    monkeypatch.setenv("JOST_URL", URL)
    monkeypatch.setenv("JOST_TOKEN", TOKEN)
