"""The real service end to end, on PostgreSQL + Redis and on the embedded default.

Gunicorn serves the API, a separate Celery worker process (solo pool, beat embedded for the
reaper) runs the jobs, and the test talks HTTP only — what a terminal or curl would do.
"""

from __future__ import annotations

import http.client
import json
import time
from functools import cache

from jost_engine import run_simulation_from_config

FINISHED = {"COMPLETE", "FAILED", "CANCELLED"}
VOLATILE = {"elapsed_s", "rounds_per_second"}


def stable(result: dict) -> dict:
    """A result without its timing, which is all that may differ between two runs."""
    return {k: v for k, v in result.items() if k not in VOLATILE}


@cache
def _expected(config_json: str) -> dict:
    return stable(run_simulation_from_config(json.loads(config_json)).to_dict())


def expected(config: dict) -> dict:
    """The engine's own result for a config, run here in the test process."""
    return _expected(json.dumps(config, sort_keys=True))


def finished(status: dict) -> bool:
    return status["status"] in FINISHED


def running_with_progress(status: dict) -> bool:
    if finished(status):
        raise AssertionError(f"the job finished too early to test this: {status}")
    return status["status"] == "RUNNING" and status["progress"]["rounds_done"] > 0


def test_submit_runs_to_complete_with_the_engines_result(stack):
    config = {
        "rules": {"decks": 2, "dealer_hits_soft_17": True},
        "simulation": {"rounds": 300_000, "seed": 11},
    }
    reply = stack.call("POST", "/api/submit/", config)
    assert reply.status == 202, reply.body
    job_id = reply.body["job_id"]
    assert reply.body["status"] == "PENDING"
    assert reply.headers["Location"] == reply.body["status_url"]
    assert reply.body["status_url"].endswith(f"/api/status/{job_id}/")

    status = stack.wait_for(job_id, finished)
    assert status["status"] == "COMPLETE", status
    assert status["progress"] == {"rounds_done": 300_000, "rounds_total": 300_000, "fraction": 1.0}
    assert status["attempts"] == 1
    assert stable(status["result"]) == expected(config)

    result = stack.call("GET", f"/api/results/{job_id}/")
    assert result.status == 200
    assert stable(result.body) == expected(config)

    listing = stack.call("GET", "/api/jobs/?status=complete")
    assert job_id in [job["job_id"] for job in listing.body["results"]]
    # another user sees nothing of it
    assert stack.call("GET", f"/api/status/{job_id}/", user="bob").status == 404
    assert stack.call("GET", f"/api/results/{job_id}/", user="bob").status == 404
    assert stack.call("GET", "/api/jobs/", user="bob").body["count"] == 0


def post_declaring_a_huge_body(stack) -> tuple[int, dict]:
    """Declare a 1 MB submit but send only its first bytes, then read the answer.

    The server answers 413 from the declared length without reading the body and closes; a
    client still pushing the rest of the megabyte at that moment gets EPIPE before it reads the
    answer (as urllib did here now and then), so this one sends no more than the socket takes.
    """
    host, port = stack.base_url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.putrequest("POST", "/api/submit/")
        connection.putheader("Authorization", f"Token {stack.tokens['alice']}")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(1_000_000))
        connection.endheaders(message_body=b'{"name": "' + b"x" * 1_000)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_bad_input_gets_a_json_4xx_over_http(stack):
    invalid = stack.call("POST", "/api/submit/", {"rules": {"decks": "six", "surrender": "maybe"}})
    assert invalid.status == 400
    assert invalid.body["error"] == "invalid_config"
    assert [p["path"] for p in invalid.body["problems"]] == ["rules.decks", "rules.surrender"]

    not_json = stack.call("POST", "/api/submit/", raw=b"{'rules': 1}")
    assert not_json.status == 400
    assert not_json.body["error"] == "invalid_json"

    status, body = post_declaring_a_huge_body(stack)
    assert status == 413
    assert body["error"] == "body_too_large"

    anonymous = stack.call("POST", "/api/submit/", {}, user=None)
    assert anonymous.status == 401
    assert anonymous.body["error"] == "not_authenticated"

    nowhere = stack.call("GET", "/api/nowhere/", user=None)
    assert nowhere.status == 404
    assert set(nowhere.body) == {"error", "detail", "problems"}

    defaults = stack.call("GET", "/api/defaults/", user=None)
    assert defaults.status == 200
    assert defaults.body["defaults"]["rules"] == "vegas_strip_6d_s17_das_ls"
    again = stack.call(
        "GET", "/api/defaults/", user=None, headers={"If-None-Match": defaults.headers["ETag"]}
    )
    assert again.status == 304


def test_cancel_stops_a_running_job_within_seconds(stack):
    reply = stack.call("POST", "/api/submit/", {"simulation": {"rounds": 1_000_000_000}})
    job_id = reply.body["job_id"]
    stack.wait_for(job_id, running_with_progress)

    cancel = stack.call("POST", f"/api/jobs/{job_id}/cancel/")
    asked = time.monotonic()
    assert cancel.status == 202, cancel.body
    assert cancel.body["cancel_requested"] is True

    status = stack.wait_for(job_id, finished, timeout=30)
    assert status["status"] == "CANCELLED"
    assert time.monotonic() - asked < 5
    kinds = [event["kind"] for event in status["events"]]
    assert kinds[-2:] == ["cancel_requested", "cancelled"]
    assert stack.call("GET", f"/api/results/{job_id}/").body["error"] == "result_not_ready"


def test_a_worker_killed_mid_job_completes_the_job_exactly_once(stack):
    """SIGKILL the worker (and its beat) while RUNNING; a new worker's reaper re-queues the job,
    which completes once, with the result of an uninterrupted run."""
    # seven seats: several seconds on one core, so the kill comes mid-job (alone at the table,
    # 20 M rounds took about 1.3 s and could finish as the kill came); one shard's worth of
    # rounds (JOST_SHARD_ROUNDS), so the job itself is claimed again
    config = {
        "rules": {"decks": 6},
        "simulation": {"rounds": 20_000_000, "seed": 99, "players_at_table": 7},
    }
    job_id = stack.call("POST", "/api/submit/", config).body["job_id"]
    stack.wait_for(job_id, running_with_progress)

    stack.kill_workers()
    orphaned = stack.call("GET", f"/api/status/{job_id}/").body
    assert orphaned["status"] == "RUNNING"
    assert orphaned["attempts"] == 1

    stack.start_worker()
    status = stack.wait_for(job_id, finished, timeout=180)
    assert status["status"] == "COMPLETE", status
    assert status["attempts"] == 2
    kinds = [event["kind"] for event in status["events"]]
    assert kinds.count("started") == 2
    assert kinds.count("requeued") == 1
    assert kinds.count("completed") == 1
    assert kinds[-1] == "completed"
    assert stable(status["result"]) == expected(config)


def test_the_job_list_finds_a_job_by_the_start_of_its_id(stack):
    """``?id=<prefix>``, as `jost jobs status 05b90c21` asks: with or without hyphens, any case,
    on both databases (PostgreSQL compares the canonical text, SQLite stores bare hex)."""
    job_id = stack.call("POST", "/api/submit/", {"simulation": {"rounds": 1_000}}).body["job_id"]
    for start in (job_id[:4], job_id[:8], job_id[:13], job_id[:13].replace("-", "").upper()):
        found = stack.call("GET", f"/api/jobs/?id={start}").body
        assert job_id in [row["job_id"] for row in found["results"]], start
        assert all(row["job_id"].startswith(job_id[:4]) for row in found["results"])
    assert stack.call("GET", f"/api/jobs/?id={job_id[:13]}", user="bob").body["count"] == 0
    bad = stack.call("GET", "/api/jobs/?id=zz")
    assert bad.status == 400 and bad.body["problems"][0]["path"] == "id"
