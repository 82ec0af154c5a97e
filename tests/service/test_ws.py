"""Live progress in-process: the job socket through Channels' WebsocketCommunicator (auth,
owner-only, message order, reconnect catch-up, Redis push), the hooks, and the events API.

The consumer runs in this process on the session's database; jobs are moved along by calling
the simulator's services directly, as a worker would.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing.websocket import WebsocketCommunicator

from service.accounts.tokens import token_issue
from service.asgi import application
from service.live import consumers, publish
from service.simulator import services
from service.simulator.models import SimulationJob
from tests.service.conftest import REDIS_URL, redis_problem, require

# Committed for real: the consumer's database calls close connections that sit in a
# transaction, as they must in production, so a test transaction would not survive them.
pytestmark = pytest.mark.django_db(transaction=True)

SMALL = {"rules": {"decks": 2}, "simulation": {"rounds": 10_000, "seed": 3}}
RESULT = {"rounds": 10_000, "net": 1.5}
TIMEOUT = 10


@pytest.fixture(autouse=True)
def _fast_polls(monkeypatch):
    """Watchers re-read the database every 50 ms here instead of every second."""
    monkeypatch.setattr(consumers, "POLL_WITHOUT_LAYER_S", 0.05)


@pytest.fixture
def token(user) -> str:
    return token_issue(user)


@pytest.fixture
def other_token(other_user) -> str:
    return token_issue(other_user)


def new_job(user) -> SimulationJob:
    return services.job_submit(owner=user, data=SMALL)[0]


def run(scenario: Callable[[], Awaitable[Any]]) -> Any:
    """Run an async scenario from this (sync, database-holding) test thread."""
    return async_to_sync(scenario)()


db = database_sync_to_async


async def open_socket(path: str, headers: list[tuple[bytes, bytes]] | None = None):
    socket = WebsocketCommunicator(application, path, headers=headers or [])
    connected, _ = await socket.connect(timeout=TIMEOUT)
    assert connected
    return socket


async def received(socket: WebsocketCommunicator) -> dict:
    return await socket.receive_json_from(timeout=TIMEOUT)


async def close_code(socket: WebsocketCommunicator) -> int:
    message = await socket.receive_output(timeout=TIMEOUT)
    assert message["type"] == "websocket.close", message
    return message["code"]


async def refused(path: str, headers=None) -> tuple[dict, int]:
    socket = await open_socket(path, headers)
    try:
        return await received(socket), await close_code(socket)
    finally:
        await socket.disconnect()


# ---- who may watch ------------------------------------------------------------------------------


def test_a_socket_without_a_valid_token_is_refused_with_the_reason(user):
    job = new_job(user)

    async def scenario():
        for path in (f"/ws/jobs/{job.pk}/", f"/ws/jobs/{job.pk}/?token=not-a-token"):
            message, code = await refused(path)
            assert code == consumers.NOT_AUTHENTICATED
            assert message["type"] == "error" and message["error"] == "not_authenticated"
            assert "token" in message["detail"]

    run(scenario)


def test_the_token_may_come_in_the_query_string_or_the_authorization_header(user, token):
    job = new_job(user)

    async def scenario():
        for path, headers in (
            (f"/ws/jobs/{job.pk}/?token={token}", []),
            (f"/ws/jobs/{job.pk}/", [(b"authorization", f"Token {token}".encode())]),
        ):
            socket = await open_socket(path, headers)
            state = await received(socket)
            assert state["type"] == "state" and state["job_id"] == str(job.pk)
            assert state["status"] == "PENDING" and state["last_event"] is None
            assert state["progress"]["rounds_total"] == 10_000
            await socket.disconnect()

    run(scenario)


def test_only_the_owner_may_watch_a_job(user, other_token):
    job = new_job(user)

    async def scenario():
        for job_id in (job.pk, uuid.uuid4()):  # someone else's job reads as no job at all
            message, code = await refused(f"/ws/jobs/{job_id}/?token={other_token}")
            assert (message["error"], code) == ("not_found", consumers.NOT_FOUND)

    run(scenario)


def test_a_bad_after_is_refused_with_the_reason(user, token):
    job = new_job(user)

    async def scenario():
        message, code = await refused(f"/ws/jobs/{job.pk}/?token={token}&after=first")
        assert code == consumers.INVALID
        assert message["error"] == "invalid_request" and "'first'" in message["detail"]

    run(scenario)


def test_a_workbench_session_may_watch_only_from_a_page_of_this_site(user, client):
    """Browsers send cookies to any site's socket: a session counts only with our Origin."""
    client.force_login(user)
    job = new_job(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()

    async def scenario():
        socket = await open_socket(
            f"/ws/jobs/{job.pk}/", [(b"cookie", cookie), (b"origin", b"http://127.0.0.1:8000")]
        )
        assert (await received(socket))["type"] == "state"
        await socket.disconnect()
        for origin in ([(b"origin", b"https://evil.example")], []):
            message, code = await refused(f"/ws/jobs/{job.pk}/", [(b"cookie", cookie), *origin])
            assert (message["error"], code) == ("not_authenticated", consumers.NOT_AUTHENTICATED)

    run(scenario)


# ---- what a watcher hears ----------------------------------------------------------------------


def test_a_watcher_hears_state_status_progress_and_result_in_order(user, token):
    job = new_job(user)

    async def scenario():
        socket = await open_socket(f"/ws/jobs/{job.pk}/?token={token}")
        state = await received(socket)
        assert (state["type"], state["status"]) == ("state", "PENDING")

        claim = await db(services.job_claim)(job.pk, worker="w1")
        started = await received(socket)
        assert (started["type"], started["kind"], started["status"]) == (
            "status",
            "started",
            "RUNNING",
        )
        assert started["attempt"] == 1 and started["message"] == "w1"

        await db(services.job_heartbeat)(claim, 4_000)
        progress = await received(socket)
        assert progress["type"] == "progress"
        assert (progress["rounds_done"], progress["rounds_total"]) == (4_000, 10_000)
        assert progress["fraction"] == 0.4
        if progress["rounds_per_second"] is not None:
            assert progress["rounds_per_second"] > 0
            left = 6_000 / progress["rounds_per_second"]
            assert progress["eta_s"] == pytest.approx(left, rel=0.01, abs=0.1)

        await db(services.job_heartbeat)(claim, 8_000)
        assert (await received(socket))["rounds_done"] == 8_000

        await db(services.job_complete)(claim, RESULT)
        completed = await received(socket)
        assert (completed["kind"], completed["status"]) == ("completed", "COMPLETE")
        assert completed["id"] > started["id"]
        assert await received(socket) == {"type": "result", "result": RESULT}
        assert await close_code(socket) == 1000

    run(scenario)


def test_progress_is_sent_once_per_change_and_never_backwards(user, token):
    job = new_job(user)
    claim = services.job_claim(job.pk, worker="w1")
    services.job_heartbeat(claim, 5_000)

    async def scenario():
        socket = await open_socket(f"/ws/jobs/{job.pk}/?token={token}")
        state = await received(socket)
        assert state["status"] == "RUNNING" and state["progress"]["rounds_done"] == 5_000
        assert (await received(socket))["kind"] == "started"  # the log so far
        assert await socket.receive_nothing(timeout=0.3)  # unchanged: nothing more is said
        consumer_progress = {"type": "job.progress", "attempt": 1, "rounds_done": 3_000}
        await socket.send_input(consumer_progress)  # a stale push is dropped, not sent
        assert await socket.receive_nothing(timeout=0.3)
        await socket.disconnect()

    run(scenario)


def test_a_reconnecting_client_catches_up_from_its_last_event(user, token):
    job = new_job(user)
    claim = services.job_claim(job.pk, worker="w1")
    services.job_cancel(job=job)
    services.job_mark_cancelled(claim)
    log = list(job.events.order_by("id").values_list("id", "kind"))
    assert [kind for _, kind in log] == ["started", "cancel_requested", "cancelled"]

    async def scenario():
        socket = await open_socket(f"/ws/jobs/{job.pk}/?token={token}")
        state = await received(socket)
        assert state["status"] == "CANCELLED" and state["last_event"] == log[-1][0]
        heard = [(m["id"], m["kind"]) for m in [await received(socket) for _ in log]]
        assert heard == log
        assert await close_code(socket) == 1000  # finished: nothing more will come

        socket = await open_socket(f"/ws/jobs/{job.pk}/?token={token}&after={log[0][0]}")
        assert (await received(socket))["type"] == "state"
        assert [(await received(socket))["kind"] for _ in log[1:]] == [k for _, k in log[1:]]
        assert await close_code(socket) == 1000

    run(scenario)


def test_a_watcher_of_a_finished_job_gets_its_result_and_the_socket_closes(user, token):
    job = new_job(user)
    claim = services.job_claim(job.pk, worker="w1")
    services.job_complete(claim, RESULT)
    last = job.events.order_by("id").last().id

    async def scenario():
        socket = await open_socket(f"/ws/jobs/{job.pk}/?token={token}&after={last}")
        state = await received(socket)
        assert state["status"] == "COMPLETE" and state["progress"]["fraction"] == 1.0
        assert await received(socket) == {"type": "result", "result": RESULT}
        assert await close_code(socket) == 1000

    run(scenario)


# ---- publishing over Redis ---------------------------------------------------------------------


@pytest.fixture
def redis_layer(settings, monkeypatch):
    """The production channel layer; watchers re-read only once a minute, so what they hear
    within the test came through Redis."""
    require(redis_problem())
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": f"jost.test.{uuid.uuid4().hex[:8]}"},
        }
    }
    monkeypatch.setattr(consumers, "POLL_WITH_LAYER_S", 60.0)
    monkeypatch.setattr(publish, "_publisher", publish._Publisher())
    monkeypatch.setattr(publish, "_progress_gate", publish.ProgressGate(1.0))
    yield


def test_status_and_progress_are_pushed_through_redis_at_most_once_a_second(
    user, token, redis_layer, django_capture_on_commit_callbacks
):
    job = new_job(user)

    async def scenario():
        socket = await open_socket(f"/ws/jobs/{job.pk}/?token={token}")
        assert (await received(socket))["status"] == "PENDING"

        def claim_and_commit():
            with django_capture_on_commit_callbacks(execute=True):
                return services.job_claim(job.pk, worker="w1")

        claim = await db(claim_and_commit)()
        started = await received(socket)
        assert (started["type"], started["kind"]) == ("status", "started")

        def progress_burst():
            for done in (1_000, 2_000, 3_000, 4_000):
                services.job_heartbeat(claim, done)
                publish.job_progress_written(job.pk)

        await db(progress_burst)()
        progress = await received(socket)
        assert (progress["type"], progress["rounds_done"]) == ("progress", 1_000)
        # the other three came within the same second: not one of them was published
        assert await socket.receive_nothing(timeout=0.5)
        await socket.disconnect()

    run(scenario)


def test_the_hooks_never_fail_a_job_when_the_channel_layer_is_down(user, settings, monkeypatch):
    monkeypatch.setattr(publish, "_publisher", publish._Publisher())
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},  # nothing listens there
        }
    }
    job = new_job(user)
    assert services.job_run(job.pk) == "complete"
    publish.job_event_recorded(job.pk, "completed")
    publish.job_progress_written(job.pk)
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "no.such.Layer"}}
    publish.publish(job.pk, {"type": "job.status"})
    job.refresh_from_db()
    assert job.status == "COMPLETE"


def test_the_progress_gate_lets_one_message_a_second_per_job_and_forgets_old_jobs(monkeypatch):
    monkeypatch.setattr(publish, "TRACKED_JOBS", 3)
    gate = publish.ProgressGate(1.0)
    assert gate.admit("a", 100.0) and gate.admit("b", 100.1)
    assert not gate.admit("a", 100.5) and not gate.admit("a", 100.99)
    assert gate.admit("a", 101.0)
    for name in "cde":
        assert gate.admit(name, 101.0)
    assert len(gate._last) == 3 and "b" not in gate._last


# ---- the event log over HTTP -------------------------------------------------------------------


def test_the_events_endpoint_returns_the_log_in_order_for_the_owner_only(user, api, other_api):
    job = new_job(user)
    claim = services.job_claim(job.pk, worker="w1")
    services.job_complete(claim, RESULT)
    url = f"/api/jobs/{job.pk}/events/"

    reply = api.get(url)
    assert reply.status_code == 200, reply.json()
    body = reply.json()
    assert body["job_id"] == str(job.pk) and body["status"] == "COMPLETE"
    assert [(e["kind"], e["status"]) for e in body["events"]] == [
        ("started", "RUNNING"),
        ("completed", "COMPLETE"),
    ]
    ids = [e["id"] for e in body["events"]]
    assert ids == sorted(ids) and body["last_event"] == ids[-1]

    after = api.get(f"{url}?after={ids[0]}").json()
    assert [e["kind"] for e in after["events"]] == ["completed"]
    none_left = api.get(f"/api/jobs/{job.pk}/events?after={ids[-1]}").json()
    assert none_left["events"] == [] and none_left["last_event"] == ids[-1]

    assert other_api.get(url).status_code == 404
    assert api.get(f"/api/jobs/{uuid.uuid4()}/events/").status_code == 404
    for given in ("-1", "", "first"):  # a blank ?after= is a mistake too, not "from the start"
        bad = api.get(f"{url}?after={given}")
        assert bad.status_code == 400 and bad.json()["problems"][0]["path"] == "after", given
    api.credentials()
    assert api.get(url).status_code == 401


def test_the_events_endpoint_is_in_the_openapi_schema(api):
    paths = api.get("/api/schema/?format=json").json()["paths"]
    assert "/api/jobs/{job_id}/events/" in paths


def test_a_watched_job_that_is_deleted_ends_the_socket_with_the_reason(user, token):
    job = new_job(user)

    async def scenario():
        socket = await open_socket(f"/ws/jobs/{job.pk}/?token={token}")
        assert (await received(socket))["type"] == "state"
        await db(SimulationJob.objects.filter(pk=job.pk).delete)()
        message = await received(socket)
        assert (message["error"], message["detail"]) == ("not_found", f"job {job.pk} was deleted")
        assert await close_code(socket) == consumers.NOT_FOUND

    run(scenario)
