"""Studies on the real stack: PostgreSQL, Redis, Gunicorn and two Celery worker processes.

A 30-point study completes with every point the local run of that point, on both workers; a
second identical study is served from the cache alone; cancel stops every point; another user
sees none of it; a SIGKILLed worker mid-study re-runs only its point's unfinished shards. The
stack's ``JOST_SHARD_ROUNDS`` is 2,000,000, so the kill test's points are sharded jobs.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import pytest

from jost_engine import parse_study, run_simulation_from_config
from tests.service.conftest import (
    ORIGINAL_ENV,
    POSTGRES_URL,
    REDIS_URL,
    postgres_problem,
    redis_problem,
    require,
)
from tests.service.live import Stack, start_stack
from tests.service.test_live import stable
from tests.service.test_shard_live import query, shard_rows, wait_until

SHARD_ROUNDS = 2_000_000
FINISHED = {"COMPLETE", "FAILED", "CANCELLED"}
GRID_STUDY = {
    "name": "thirty",
    "base": {"rules": {"decks": 6}},
    "grid": {
        "rules.decks": [1, 2, 6],
        "rules.penetration": [0.6, 0.7, 0.75, 0.8, 0.85],
        "rules.dealer_hits_soft_17": [False, True],
    },
    "rounds": 20_000,
    "seed": 5,
    "bankroll": 400,
}


@pytest.fixture(scope="module")
def study_stack(tmp_path_factory) -> Stack:
    require(postgres_problem())
    require(redis_problem())
    live = start_stack(
        "postgres-redis",
        tmp_path_factory.mktemp("live-studies"),
        base_env=ORIGINAL_ENV,
        postgres_url=POSTGRES_URL,
        redis_url=REDIS_URL,
        label="-studies",
        workers=2,
        # a live worker is never taken for dead on a busy shared machine (only the killed one)
        settings={
            "JOST_SHARD_ROUNDS": str(SHARD_ROUNDS),
            "JOST_STALE_AFTER_S": "6",
            "JOST_STUDY_WINDOW": "8",
        },
    )
    yield live
    live.stop()


def submit_study(stack: Stack, document: dict, user: str = "alice") -> str:
    reply = stack.call("POST", "/api/studies/", document, user=user)
    assert reply.status == 202, reply.body
    return reply.body["id"]


def wait_study(stack: Stack, study_id: str, timeout: float = 120) -> dict[str, Any]:
    def done() -> dict | None:
        body = stack.call("GET", f"/api/studies/{study_id}/").body
        return body if body["status"] in FINISHED else None

    return wait_until(done, timeout, stack)


def job_count(stack: Stack) -> int:
    return query(stack, "SELECT count(*) FROM simulator_simulationjob")[0][0]


def test_a_30_point_study_runs_on_both_workers_and_every_point_is_its_local_run(study_stack):
    study_id = submit_study(study_stack, GRID_STUDY)
    study = wait_study(study_stack, study_id)
    assert study["status"] == "COMPLETE", study
    assert (study["points_total"], study["points_done"], study["points_cached"]) == (30, 30, 0)
    local_points = parse_study(GRID_STUDY).points()
    assert [p["index"] for p in study["points"]] == list(range(30))
    for point, local in zip(study["points"], local_points, strict=True):
        assert point["status"] == "COMPLETE" and point["cached"] is False
        result = study_stack.call("GET", f"/api/status/{point['job_id']}/").body["result"]
        assert stable(result) == stable(run_simulation_from_config(local.config).to_dict())
    workers = query(
        study_stack,
        "SELECT DISTINCT split_part(worker, '@', 1) FROM simulator_simulationjob "
        "WHERE id = ANY(%s::uuid[])",
        [p["job_id"] for p in study["points"]],
    )
    assert len(workers) == 2, workers  # the points were spread over both workers

    # the same study again: every point from the cache, no new job, done at once
    jobs_before = job_count(study_stack)
    again_id = submit_study(study_stack, GRID_STUDY)
    again = wait_study(study_stack, again_id, timeout=30)
    assert again["status"] == "COMPLETE" and again["points_cached"] == 30, again
    assert job_count(study_stack) == jobs_before
    assert [p["job_id"] for p in again["points"]] == [p["job_id"] for p in study["points"]]
    assert [p["summary"] for p in again["points"]] == [p["summary"] for p in study["points"]]

    # another user sees none of it
    assert study_stack.call("GET", f"/api/studies/{study_id}/", user="bob").status == 404
    assert study_stack.call("POST", f"/api/studies/{study_id}/cancel/", user="bob").status == 404
    assert study_stack.call("GET", "/api/studies/", user="bob").body["count"] == 0
    assert study_stack.call("GET", "/api/studies/").body["count"] == 2


def test_cancel_stops_every_point_of_a_running_study(study_stack):
    document = {
        "name": "long",
        "grid": {"rules.decks": [2, 4, 6, 8]},
        "rounds": 200_000_000,  # 100 shards, some seconds a point: far from done when cancelled
        "seed": 9,
    }
    study_id = submit_study(study_stack, document)

    def started() -> bool:  # a shard of it ran (one takes less than a progress interval)
        return bool(
            query(
                study_stack,
                "SELECT 1 FROM simulator_jobshard s JOIN studies_studypoint p "
                "ON p.job_id = s.job_id JOIN studies_study t ON t.id = p.study_id "
                "WHERE t.id = %s AND s.status IN ('RUNNING', 'COMPLETE')",
                study_id,
            )
        )

    wait_until(started, 60, study_stack)
    reply = study_stack.call("POST", f"/api/studies/{study_id}/cancel/")
    assert reply.status in (200, 202), reply.body
    asked = time.monotonic()
    study = wait_study(study_stack, study_id, timeout=30)
    assert study["status"] == "CANCELLED", study
    assert time.monotonic() - asked < 10
    assert {p["status"] for p in study["points"]} == {"CANCELLED"}
    jobs = [p["job_id"] for p in study["points"] if p["job_id"]]
    time.sleep(1.0)  # nothing of it runs on afterwards
    left = query(
        study_stack,
        "SELECT count(*) FROM simulator_jobshard WHERE job_id = ANY(%s::uuid[]) "
        "AND status IN ('PENDING', 'RUNNING')",
        jobs,
    )[0][0]
    assert left == 0


def test_a_worker_killed_mid_study_reruns_only_its_points_unfinished_shard(study_stack):
    document = {
        "name": "kill",
        "grid": {"rules.penetration": [0.7, 0.8]},
        "rounds": 12_000_000,  # six shards a point
        "seed": 21,
    }
    victim = study_stack.workers[0]
    name = f"w0-{os.getpid()}@"
    study_id = submit_study(study_stack, document)

    def running_on_victim() -> tuple[str, dict] | None:
        for point in study_stack.call("GET", f"/api/studies/{study_id}/").body["points"]:
            if point["job_id"] is None:
                continue
            for shard in shard_rows(study_stack, point["job_id"]):
                if shard["worker"].startswith(name) and shard["status"] == "RUNNING":
                    return point["job_id"], shard
        return None

    job_id, killed = wait_until(running_on_victim, 60, study_stack)
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait(timeout=10)

    study = wait_study(study_stack, study_id, timeout=120)
    assert study["status"] == "COMPLETE", study
    for point, local in zip(study["points"], parse_study(document).points(), strict=True):
        result = study_stack.call("GET", f"/api/status/{point['job_id']}/").body["result"]
        assert stable(result) == stable(run_simulation_from_config(local.config).to_dict())
        attempts = {s["index"]: s["attempts"] for s in shard_rows(study_stack, point["job_id"])}
        rerun = killed["index"] if point["job_id"] == job_id else None
        assert attempts == {i: 2 if i == rerun else 1 for i in range(6)}, (point, killed)
    study_stack.start_worker()
