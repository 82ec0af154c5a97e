"""One job across two real workers, on PostgreSQL + Redis: the merge, a killed worker, duplicate
messages, cancel.

The stack is the live one of test_live.py (Gunicorn, Celery workers with beat as subprocesses)
with ``JOST_SHARD_ROUNDS`` = 10,000,000 and a second worker. The test talks HTTP to the service,
reads the shard rows straight from the service's PostgreSQL database, and sends duplicate shard
messages straight to Redis, as a broker re-delivering them would.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.service.conftest import (
    ORIGINAL_ENV,
    POSTGRES_URL,
    REDIS_URL,
    postgres_problem,
    redis_problem,
    require,
)
from tests.service.live import Stack, start_stack
from tests.service.test_live import expected, finished, stable

SHARD_ROUNDS = 10_000_000  # about a second a shard: long enough to be caught running
CONFIG = {
    "rules": {"decks": 6, "surrender": "late"},
    "simulation": {"rounds": 60_000_000, "seed": 7},
}
SHARDS = 6


@pytest.fixture(scope="module")
def shard_stack(tmp_path_factory) -> Stack:
    require(postgres_problem())
    require(redis_problem())
    live = start_stack(
        "postgres-redis",
        tmp_path_factory.mktemp("live-shards"),
        base_env=ORIGINAL_ENV,
        postgres_url=POSTGRES_URL,
        redis_url=REDIS_URL,
        label="-shards",
        # a live worker is never taken for dead on a busy shared machine (only the killed one)
        settings={"JOST_SHARD_ROUNDS": str(SHARD_ROUNDS), "JOST_STALE_AFTER_S": "6"},
    )
    try:
        live.start_worker()
        wait_until(lambda: all(_worker_ready(live, i) for i in range(2)), 60, live)
    except BaseException:
        live.stop()
        raise
    yield live
    live.stop()


def _worker_ready(stack: Stack, index: int) -> bool:
    log = stack.folder / f"worker{index}.log"
    return log.exists() and " ready." in log.read_text(errors="replace")


def wait_until(done: Callable[[], Any], timeout: float, stack: Stack) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = done()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting after {timeout} s\n{stack.logs()}")


def query(stack: Stack, sql: str, *params: Any) -> list[tuple]:
    import psycopg

    with psycopg.connect(stack.env["DATABASE_URL"], autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def shard_rows(stack: Stack, job_id: str) -> list[dict[str, Any]]:
    rows = query(
        stack,
        "SELECT index, status, attempts, worker, rounds_done, tally, started_at, finished_at "
        "FROM simulator_jobshard WHERE job_id = %s ORDER BY index",
        job_id,
    )
    names = ("index", "status", "attempts", "worker", "rounds_done", "tally", "started", "finished")
    return [dict(zip(names, row, strict=True)) for row in rows]


def job_row(stack: Stack, job_id: str) -> dict[str, Any]:
    (row,) = query(
        stack,
        "SELECT status, attempts, rounds_done, result_data, updated_at, finished_at "
        "FROM simulator_simulationjob WHERE id = %s",
        job_id,
    )
    names = ("status", "attempts", "rounds_done", "result", "updated", "finished")
    return dict(zip(names, row, strict=True))


def submit(stack: Stack, config: dict) -> str:
    reply = stack.call("POST", "/api/submit/", config)
    assert reply.status == 202, reply.body
    return reply.body["job_id"]


def queue_drained(stack: Stack) -> bool:
    """Every message on this stack's shards queue was taken and acknowledged."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    queue = f"{stack.env['JOST_QUEUE']}.shards"
    if client.llen(queue):
        return False
    return not any(queue.encode() in payload for payload in client.hvals("unacked"))


def test_a_sharded_job_runs_on_both_workers_and_merges_to_the_local_result(shard_stack):
    job_id = submit(shard_stack, CONFIG)
    status = shard_stack.wait_for(job_id, finished, timeout=120)
    assert status["status"] == "COMPLETE", status
    assert status["progress"]["rounds_done"] == status["progress"]["rounds_total"] == 60_000_000
    assert stable(status["result"]) == expected(CONFIG)
    assert [e["kind"] for e in status["events"]] == ["started", "completed"]
    shards = shard_rows(shard_stack, job_id)
    assert len(shards) == SHARDS
    assert {s["status"] for s in shards} == {"COMPLETE"}
    assert {s["attempts"] for s in shards} == {1}
    assert len({s["worker"].split("@")[0] for s in shards}) == 2  # any worker runs any shard


def test_the_same_shard_messages_delivered_twice_change_nothing(shard_stack):
    from celery import Celery

    job_id = submit(shard_stack, CONFIG)
    sender = Celery(broker=REDIS_URL)
    queue = f"{shard_stack.env['JOST_QUEUE']}.shards"

    def send_every_shard_again() -> None:
        for index in range(SHARDS):
            sender.send_task("simulator.run_jost_shard_task", args=[job_id, index], queue=queue)

    wait_until(lambda: job_row(shard_stack, job_id)["status"] != "PENDING", 60, shard_stack)
    send_every_shard_again()  # while the job runs: behind (or beside) the first messages
    status = shard_stack.wait_for(job_id, finished, timeout=120)
    assert status["status"] == "COMPLETE", status
    wait_until(lambda: queue_drained(shard_stack), 60, shard_stack)
    done = job_row(shard_stack, job_id)
    shards = shard_rows(shard_stack, job_id)

    send_every_shard_again()  # and after it completed
    wait_until(lambda: queue_drained(shard_stack), 60, shard_stack)
    sender.close()
    assert job_row(shard_stack, job_id) == done
    assert shard_rows(shard_stack, job_id) == shards
    assert {s["attempts"] for s in shards} == {1}
    assert done["attempts"] == 1
    assert stable(done["result"]) == expected(CONFIG)
    events = shard_stack.call("GET", f"/api/status/{job_id}/").body["events"]
    assert [e["kind"] for e in events] == ["started", "completed"]


def test_sigkill_one_worker_mid_job_reruns_only_its_shard(shard_stack):
    """Worker 0 dies (with its beat) in the middle of a shard; worker 1 finishes the job, its
    reaper re-queues the dead worker's shard, and the result is still the local run's."""
    victim = shard_stack.workers[0]
    name = f"w0-{os.getpid()}@"
    job_id = submit(shard_stack, CONFIG)

    def running_on_victim() -> dict | None:
        for shard in shard_rows(shard_stack, job_id):
            mine = shard["worker"].startswith(name)
            if mine and shard["status"] == "RUNNING":
                return shard
        return None

    killed = wait_until(running_on_victim, 60, shard_stack)
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait(timeout=10)

    status = shard_stack.wait_for(job_id, finished, timeout=120)
    assert status["status"] == "COMPLETE", status
    assert stable(status["result"]) == expected(CONFIG)
    shards = shard_rows(shard_stack, job_id)
    attempts = {s["index"]: s["attempts"] for s in shards}
    why = f"killed during shard {killed['index']}; shards {shards}; events {status['events']}"
    assert attempts == {i: 2 if i == killed["index"] else 1 for i in range(SHARDS)}, why
    assert not shards[killed["index"]]["worker"].startswith(name)
    assert status["attempts"] == 2
    requeued = [e for e in status["events"] if e["kind"] == "shard_requeued"]
    assert len(requeued) == 1
    assert requeued[0]["message"].startswith(f"shard {killed['index']}: no heartbeat")
    assert [e["kind"] for e in status["events"]].count("completed") == 1

    shard_stack.start_worker()  # two workers again for what follows


def test_cancel_mid_job_stops_every_shard_within_seconds(shard_stack):
    job_id = submit(shard_stack, {"simulation": {"rounds": 500_000_000, "seed": 3}})

    def two_running() -> bool:
        shards = shard_rows(shard_stack, job_id)
        return sum(s["status"] == "RUNNING" and s["rounds_done"] > 0 for s in shards) == 2

    wait_until(two_running, 60, shard_stack)
    before = shard_rows(shard_stack, job_id)
    cancel = shard_stack.call("POST", f"/api/jobs/{job_id}/cancel/")
    asked = time.monotonic()
    assert cancel.status == 202, cancel.body
    (cancelled_at,) = query(shard_stack, "SELECT now()")[0]
    status = shard_stack.wait_for(job_id, finished, timeout=30)
    stopped = time.monotonic() - asked
    assert status["status"] == "CANCELLED", status
    assert stopped < 5
    assert [e["kind"] for e in status["events"]][-2:] == ["cancel_requested", "cancelled"]
    shards = shard_rows(shard_stack, job_id)
    assert len(shards) == 50
    assert {s["status"] for s in shards} <= {"COMPLETE", "CANCELLED"}
    # nothing started after the cancel; only shards running when it came may have completed
    assert all(s["started"] is None or s["started"] < cancelled_at for s in shards)
    done_before = sum(s["status"] == "COMPLETE" for s in before)
    running_before = sum(s["status"] == "RUNNING" for s in before)
    assert sum(s["status"] == "COMPLETE" for s in shards) <= done_before + running_before
    assert sum(s["status"] == "CANCELLED" for s in shards) >= 50 - done_before - running_before
    time.sleep(1.0)  # the rest of the queue is drained as duplicates: nothing starts again
    assert shard_rows(shard_stack, job_id) == shards
