"""The figures of docs/operations.md, "Faults", measured with the DEFAULT fault clocks.

Starts a service as the live tests do (tests/service/live.py: Gunicorn, solo-pool Celery
workers without beat, PostgreSQL) on a Redis of its own (broker, cache, channel layer), with
the service's default heartbeat, stale window, reaper interval and re-dispatch window, then:

* ``kill``: a job running on one of two workers; that worker is SIGKILLed; seconds until the
  job runs again on the other (``--trials`` times, a new worker started after each).
* ``broker``: both workers busy, ten jobs waiting on the queue; Redis is SIGKILLed and started
  again empty; seconds from the restart until all ten are COMPLETE.
* ``load``: ``--jobs`` small jobs submitted while a worker is SIGKILLed ``--kills`` times (and a
  new one started each time); from the database: jobs lost (not COMPLETE), jobs completed
  twice (two ``completed`` events), jobs run again (attempts > 1).

    python benchmarks/service_faults.py                 # all three
    python benchmarks/service_faults.py --only kill --trials 5
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.service.live import OwnRedis, Stack, start_stack  # noqa: E402

POSTGRES = os.environ.get("JOST_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DEFAULT_CLOCKS = {  # the service's defaults (service/settings.py), over the tests' fast ones
    "JOST_HEARTBEAT_S": "2",
    "JOST_STALE_AFTER_S": "8",
    "JOST_REAPER_INTERVAL_S": "3",
    "JOST_PENDING_REDISPATCH_S": "10",
    "JOST_PROGRESS_INTERVAL_S": "1",
    "JOST_SHARD_ROUNDS": "1000000000",
}
BUSY_ROUNDS = 150_000_000  # ~20 s on one core


def query(stack: Stack, sql: str, *params: object) -> list[tuple]:
    import psycopg

    with psycopg.connect(stack.env["DATABASE_URL"], autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def submit(stack: Stack, rounds: int, seed: int) -> str:
    reply = stack.call("POST", "/api/submit/", {"simulation": {"rounds": rounds, "seed": seed}})
    assert reply.status == 202, reply.body
    return reply.body["job_id"]


def worker_of(status: dict) -> int:
    started = [e for e in status["events"] if e["kind"] == "started"][-1]["message"]
    return int(started.split("-", 1)[0].removeprefix("w"))


def sigkill(stack: Stack, index: int) -> None:
    os.killpg(stack.workers[index].pid, signal.SIGKILL)
    stack.workers[index].wait(timeout=10)


def alive(stack: Stack) -> list[int]:
    return [i for i, w in enumerate(stack.workers) if w.poll() is None]


def wait_ready(stack: Stack, index: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    log = stack.folder / f"worker{index}.log"
    while time.monotonic() < deadline:
        if log.exists() and " ready." in log.read_text(errors="replace"):
            return
        time.sleep(0.1)
    raise RuntimeError(f"worker {index} never became ready")


def measure_kill(stack: Stack, trials: int) -> dict:
    times = []
    for trial in range(trials):
        job = submit(stack, BUSY_ROUNDS, 900 + trial)
        status = stack.wait_for(job, lambda s: s["status"] == "RUNNING", timeout=60)
        sigkill(stack, worker_of(status))
        killed = time.monotonic()
        stack.wait_for(job, lambda s: s["attempts"] >= 2, timeout=60)
        times.append(time.monotonic() - killed)
        stack.call("POST", f"/api/jobs/{job}/cancel/")
        stack.start_worker(beat=False)
        wait_ready(stack, len(stack.workers) - 1)
        stack.wait_for(job, lambda s: s["status"] in ("CANCELLED", "COMPLETE"), timeout=60)
    return {"resumed_after_kill_s": [round(t, 1) for t in times], "max_s": round(max(times), 1)}


def measure_broker(stack: Stack, redis_server: OwnRedis) -> dict:
    import redis

    busy = [submit(stack, BUSY_ROUNDS // 3, 950 + i) for i in range(len(alive(stack)))]
    for job in busy:
        stack.wait_for(job, lambda s: s["status"] == "RUNNING", timeout=60)
    waiting = [submit(stack, 20_000, 960 + i) for i in range(10)]
    held = redis.Redis.from_url(redis_server.url).llen(stack.env["JOST_QUEUE"])
    redis_server.kill()
    time.sleep(2)
    redis_server.start()
    restarted = time.monotonic()
    for job in waiting:
        stack.wait_for(job, lambda s: s["status"] == "COMPLETE", timeout=120)
    recovered = time.monotonic() - restarted
    for job in busy:
        stack.wait_for(job, lambda s: s["status"] == "COMPLETE", timeout=120)
    (twice,) = query(
        stack,
        "SELECT count(*) FROM simulator_simulationjob WHERE id = ANY(%s::uuid[]) AND attempts > 1",
        busy + waiting,
    )[0]
    return {
        "messages_lost": held,
        "all_complete_after_restart_s": round(recovered, 1),
        "run_again": twice,
    }


def measure_load(stack: Stack, jobs: int, kills: int) -> dict:
    ids = []
    every = max(1, jobs // (kills + 1))
    done_kills = 0
    started = time.monotonic()
    for n in range(jobs):
        ids.append(submit(stack, 2_000_000, 1000 + n))
        if (n + 1) % every == 0 and done_kills < kills:
            rows = query(
                stack, "SELECT worker FROM simulator_simulationjob WHERE status = 'RUNNING'"
            )
            running = {int(w.split("-", 1)[0].removeprefix("w")) for (w,) in rows if w}
            victims = sorted(running & set(alive(stack))) or alive(stack)
            sigkill(stack, victims[0])
            stack.start_worker(beat=False)
            done_kills += 1
        time.sleep(0.05)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        (left,) = query(
            stack,
            "SELECT count(*) FROM simulator_simulationjob WHERE status NOT IN "
            "('COMPLETE', 'FAILED', 'CANCELLED')",
        )[0]
        if not left:
            break
        time.sleep(0.5)
    drained = time.monotonic() - started
    rows = query(
        stack,
        "SELECT j.status, j.attempts, (SELECT count(*) FROM simulator_simulationjobevent e "
        "WHERE e.job_id = j.id AND e.kind = 'completed') FROM simulator_simulationjob j "
        "WHERE j.id = ANY(%s::uuid[])",
        ids,
    )
    return {
        "jobs": len(ids),
        "kills": done_kills,
        "lost": sum(1 for status, _, _ in rows if status != "COMPLETE") + len(ids) - len(rows),
        "completed_twice": sum(1 for _, _, completed in rows if completed > 1),
        "run_again_after_a_kill": sum(1 for _, attempts, _ in rows if attempts > 1),
        "all_done_s": round(drained, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("kill", "broker", "load"))
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--kills", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="jost-faults-"))
    redis_server = OwnRedis(folder)
    redis_server.start()
    stack = start_stack(
        "postgres-redis",
        folder,
        base_env=dict(os.environ),
        postgres_url=POSTGRES,
        redis_url=redis_server.url,
        label="-bench-faults",
        settings=DEFAULT_CLOCKS,
        workers=2,
        beat=False,
    )
    figures: dict[str, object] = {"clocks": DEFAULT_CLOCKS}
    try:
        wait_ready(stack, 0)
        wait_ready(stack, 1)
        if args.only in (None, "kill"):
            figures["kill"] = measure_kill(stack, args.trials)
            print("kill", figures["kill"], flush=True)
        if args.only in (None, "broker"):
            figures["broker"] = measure_broker(stack, redis_server)
            print("broker", figures["broker"], flush=True)
        if args.only in (None, "load"):
            figures["load"] = measure_load(stack, args.jobs, args.kills)
    finally:
        if not redis_server.alive():
            redis_server.start()
        stack.stop()
        redis_server.kill()
    print(json.dumps(figures, indent=2))
    kill = figures.get("kill")
    if isinstance(kill, dict):
        print("median resume", statistics.median(kill["resumed_after_kill_s"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
