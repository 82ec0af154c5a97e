"""Live progress across real processes: Gunicorn + Uvicorn serving the socket, a separate Celery
worker running the job, on PostgreSQL + Redis (pushed through the Redis channel layer) and on
the embedded default (the watcher reads the database, since no layer reaches the worker)."""

from __future__ import annotations

import json
import time

from websockets.sync.client import connect

from service import runner
from tests.service.conftest import ORIGINAL_ENV
from tests.service.live import Stack, free_port
from tests.service.test_live import expected, stable

# Seven players at the table make each round several times slower than a lone player's, so the
# job runs a few seconds even on an idle core: long enough for the socket's once-a-second read
# (the embedded default) to see progress on the way. It stays one task (under JOST_SHARD_ROUNDS).
ROUNDS = 12_000_000


def socket_url(stack, job_id: str, query: str = "") -> str:
    return stack.base_url.replace("http://", "ws://") + f"/ws/jobs/{job_id}/{query}"


def listen(url: str, timeout: float = 120) -> tuple[list[dict], int | None]:
    """Every message until the server closes the socket, and its close code."""
    heard = []
    deadline = time.monotonic() + timeout
    with connect(url, open_timeout=30) as ws:
        while time.monotonic() < deadline:
            try:
                heard.append(json.loads(ws.recv(timeout=deadline - time.monotonic())))
            except TimeoutError:
                break
            except Exception:  # closed by the server
                return heard, ws.close_code
    raise AssertionError(f"the socket never closed; heard {heard}")


def test_a_watcher_follows_a_job_run_by_a_real_worker_to_its_result(stack):
    config = {
        "rules": {"decks": 6},
        "simulation": {"rounds": ROUNDS, "seed": 5, "players_at_table": 7},
    }
    reply = stack.call("POST", "/api/submit/", config)
    assert reply.status == 202, reply.body
    job_id = reply.body["job_id"]
    token = stack.tokens["alice"]

    heard, code = listen(socket_url(stack, job_id, f"?token={token}"))
    assert code == 1000, heard
    kinds = [m["type"] for m in heard]
    assert kinds[0] == "state" and kinds[-1] == "result", kinds
    statuses = [m["kind"] for m in heard if m["type"] == "status"]
    assert statuses == ["started", "completed"], (stack.backend, heard)
    progress = [m for m in heard if m["type"] == "progress"]
    assert progress, f"no progress while {ROUNDS:,} rounds ran ({stack.backend}): {heard}"
    done = [m["rounds_done"] for m in progress]
    # on the way: the first is mid-run; the last may be the heartbeat that saw the whole count
    assert done == sorted(done) and 0 < done[0] < ROUNDS and done[-1] <= ROUNDS
    assert all(m["rounds_total"] == ROUNDS and m["rounds_per_second"] > 0 for m in progress)
    assert all(m["eta_s"] is not None and m["eta_s"] >= 0 for m in progress)
    started = next(i for i, m in enumerate(heard) if m.get("kind") == "started")
    completed = next(i for i, m in enumerate(heard) if m.get("kind") == "completed")
    at = [i for i, kind in enumerate(kinds) if kind == "progress"]
    assert started < at[0] and at[-1] < completed  # progress comes between the start and the end
    assert stable(heard[-1]["result"]) == expected(config)

    # a reconnect after the last event hears only the state and the result
    events = stack.call("GET", f"/api/jobs/{job_id}/events/").body
    assert [e["kind"] for e in events["events"]] == statuses
    again, code = listen(socket_url(stack, job_id, f"?token={token}&after={events['last_event']}"))
    assert [m["type"] for m in again] == ["state", "result"] and code == 1000


def test_the_socket_refuses_another_users_job_over_the_wire(stack):
    reply = stack.call("POST", "/api/submit/", {"simulation": {"rounds": 1_000, "seed": 1}})
    heard, _ = listen(socket_url(stack, reply.body["job_id"], f"?token={stack.tokens['bob']}"))
    assert heard == [
        {
            "type": "error",
            "error": "not_found",
            "detail": f"no job {reply.body['job_id']} for this user",
        }
    ]


def test_jost_serves_web_command_speaks_websockets(tmp_path):
    """``jost serve`` starts exactly this web command: the socket answers on its port."""
    env = {k: v for k, v in ORIGINAL_ENV.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update({"JOST_DATA_DIR": str(tmp_path / "data"), "CELERY_BROKER_URL": "filesystem://"})
    env["DJANGO_SETTINGS_MODULE"] = "service.settings"
    port = free_port()
    web = Stack("jost-serve-web", env, tmp_path, f"http://127.0.0.1:{port}")
    web.manage("migrate", "--noinput", "-v", "0")
    web.web = web._spawn("web", runner.web_command(port))
    try:
        web.wait_ready()
        job_id = "00000000-0000-0000-0000-000000000000"
        heard, code = listen(socket_url(web, job_id, "?token=nobody"))
        assert [m["error"] for m in heard] == ["not_authenticated"] and code == 4401
    finally:
        web.stop()
