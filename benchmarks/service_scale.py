"""One job across many workers, many jobs across two, and jobs through killed workers.

Starts its own service on PostgreSQL + Redis (Gunicorn, as `service_load.py` does; Celery
workers with the solo pool, i.e. one engine core each; beat as its own process) and measures:

* ``scale``: one job of ``--rounds`` (default 1e9) on 1 worker, then on 2: server-side time from
  its start to COMPLETE, the speed-up, and whether both results are the same.
* ``drain``: ``--jobs`` (default 10,000) small jobs submitted by ``--clients`` (default 50)
  concurrent clients over loopback while 2 workers drain them: submit latency p50/p99, jobs per
  second drained, and from the database: none lost, none run twice.
* ``chaos``: ``--chaos-seconds`` (default 300) of small jobs (``--chaos-rate`` per second) and a
  large sharded job every ``--kill-every`` seconds, while one of the 2 workers is killed with
  SIGKILL every ``--kill-every`` seconds (and a new one started): every accepted job must end
  COMPLETE exactly once, and every large job's result must equal a local run of its config.

Bounded: each part gives up after ``--max-seconds`` of waiting. The machine's other load shows in
the figures; run it on a quiet machine for numbers to compare.

    python benchmarks/service_scale.py                        # all three, full size
    python benchmarks/service_scale.py --only scale --rounds 2e8
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from service_load import POSTGRES, PYTHON, REDIS, Client, Service, start_service

SMALL_ROUNDS = 1_000
VOLATILE = {"elapsed_s", "rounds_per_second"}


def stable(result: dict) -> dict:
    return {k: v for k, v in result.items() if k not in VOLATILE}


# --------------------------------------------------------------------------------------------
# The stack
# --------------------------------------------------------------------------------------------


class Stack:
    """The service plus workers we can kill and replace one by one, and its database."""

    def __init__(self, shard_rounds: int, folder: Path) -> None:
        os.environ.update(
            {
                "JOST_SHARD_ROUNDS": str(shard_rounds),
                "JOST_HEARTBEAT_S": "1",
                "JOST_STALE_AFTER_S": "5",
                "JOST_REAPER_INTERVAL_S": "1",
                "JOST_PROGRESS_INTERVAL_S": "1",
                # a message taken by a worker killed before it claimed its job is sent again
                # (not sooner: every PENDING job of a long backlog would be sent twice)
                "JOST_PENDING_REDISPATCH_S": "300",
            }
        )
        self.service: Service = start_service("postgres-redis", folder)
        self.queue = f"jost-bench-{os.getpid()}"
        self.database = f"{POSTGRES.rsplit('/', 1)[0]}/jost_bench_{os.getpid()}"
        self.service.cleanup.insert(0, self._forget_shards_queue)
        self.client = Client(self.service.url, self.service.token)
        self.workers: list[subprocess.Popen] = []
        self.names: list[str] = []
        self.started = 0
        assert self.service.spawn is not None
        beat = [PYTHON, "-m", "celery", "-A", "service.celery_app", "beat", "-l", "WARNING"]
        self.service.processes.append(self.service.spawn([*beat, "-s", str(folder / "beat")]))

    def start_worker(self) -> None:
        assert self.service.spawn is not None
        self.started += 1
        args = [PYTHON, "-m", "celery", "-A", "service.celery_app", "worker", "--pool=solo"]
        args += ["--without-gossip", "--without-mingle", "-l", "WARNING"]
        worker = self.service.spawn([*args, "-n", f"scale{self.started}@%h"])
        self.workers.append(worker)
        self.names.append(f"scale{self.started}@")
        self.service.processes.append(worker)

    def busy_worker(self) -> int | None:
        """The index of a worker running a job or a shard now, if any."""
        running = self.query(
            "SELECT worker FROM simulator_jobshard WHERE status = 'RUNNING' UNION ALL "
            "SELECT worker FROM simulator_simulationjob "
            "WHERE status = 'RUNNING' AND shard_count = 0"
        )
        for (name,) in running:
            for index, prefix in enumerate(self.names):
                if name.startswith(prefix):
                    return index
        return None

    def kill_worker(self, index: int) -> None:
        """SIGKILL one worker (a machine that died) and start a new one in its place."""
        self.names.pop(index)
        worker = self.workers.pop(index)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        self.start_worker()

    def stop_workers(self) -> None:
        for worker in self.workers:
            worker.terminate()
        for worker in self.workers:
            worker.wait(timeout=30)
        self.workers.clear()
        self.names.clear()

    def stop(self) -> None:
        self.service.stop()

    def _forget_shards_queue(self) -> None:
        import redis

        client = redis.Redis.from_url(REDIS)
        name = f"{self.queue}.shards"
        client.delete(name, f"_kombu.binding.{name}")
        for tag, payload in client.hgetall("unacked").items():
            if self.queue.encode() in payload:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)

    def query(self, sql: str, *params: object) -> list[tuple]:
        """One query on the service's database; waits out a moment of too many connections
        (PostgreSQL is shared with whatever else runs on the machine)."""
        import psycopg

        for attempt in range(30):
            try:
                with psycopg.connect(self.database, autocommit=True) as conn:
                    return conn.execute(sql, params).fetchall()
            except psycopg.OperationalError:
                if attempt == 29:
                    raise
                time.sleep(1.0)
        raise AssertionError("unreachable")

    def submit(self, config: dict) -> str | None:
        status, reply = self.client.request("POST", "/api/submit/", json.dumps(config).encode())
        return reply["job_id"] if status == 202 else None

    def wait_finished(self, job_id: str, max_seconds: float) -> dict:
        deadline = time.monotonic() + max_seconds
        while time.monotonic() < deadline:
            status = self.client.get(f"/api/status/{job_id}/")[1]
            if status["status"] in {"COMPLETE", "FAILED", "CANCELLED"}:
                return status
            time.sleep(0.25)
        raise TimeoutError(f"job {job_id} did not finish within {max_seconds:.0f} s")

    def open_jobs(self) -> int:
        return self.query(
            "SELECT count(*) FROM simulator_simulationjob WHERE status IN ('PENDING', 'RUNNING')"
        )[0][0]

    def exactly_once(self, job_ids: list[str]) -> dict[str, int]:
        """From the database: how many of these jobs are COMPLETE with one 'completed' event,
        lost (not COMPLETE), or completed more than once."""
        rows = self.query(
            "SELECT j.id::text, j.status, "
            "count(e.id) FILTER (WHERE e.kind = 'completed'), "
            "count(e.id) FILTER (WHERE e.kind = 'started') "
            "FROM simulator_simulationjob j LEFT JOIN simulator_simulationjobevent e "
            "ON e.job_id = j.id GROUP BY j.id"
        )
        by_id = {row[0]: row[1:] for row in rows}
        mine = [by_id.get(job_id) for job_id in job_ids]
        return {
            "complete_once": sum(1 for r in mine if r and r[0] == "COMPLETE" and r[1] == 1),
            "lost": sum(1 for r in mine if not r or r[0] != "COMPLETE"),
            "completed_twice": sum(1 for r in mine if r and r[1] > 1),
            "started_twice": sum(1 for r in mine if r and r[2] > 1),
        }


def _seconds(status: dict) -> float:
    start = datetime.fromisoformat(status["started_at"])
    end = datetime.fromisoformat(status["finished_at"])
    return (end - start).total_seconds()


def _warm(stack: Stack) -> None:
    """A few small jobs, so every worker has compiled the engine before anything is timed."""
    ids = [stack.submit({"simulation": {"rounds": 20_000, "seed": i}}) for i in range(6)]
    for job_id in ids:
        assert job_id is not None
        stack.wait_finished(job_id, 120)


# --------------------------------------------------------------------------------------------
# The measurements
# --------------------------------------------------------------------------------------------


def measure_scale(stack: Stack, rounds: int, max_seconds: float) -> dict:
    config = {"name": "scale", "simulation": {"rounds": rounds, "seed": 2024}}
    timings, results = {}, {}
    for workers in (1, 2):
        stack.stop_workers()
        for _ in range(workers):
            stack.start_worker()
        _warm(stack)
        job_id = stack.submit(config)
        assert job_id is not None
        status = stack.wait_finished(job_id, max_seconds)
        if status["status"] != "COMPLETE":
            raise RuntimeError(f"the {workers}-worker run ended {status['status']}: {status}")
        timings[workers] = _seconds(status)
        results[workers] = stable(status["result"])
        shards = stack.query(
            "SELECT count(*), count(DISTINCT worker) FROM simulator_jobshard WHERE job_id = %s",
            job_id,
        )[0]
    return {
        "rounds": rounds,
        "shards": shards[0],
        "workers_used": shards[1],
        "one_worker_s": timings[1],
        "two_workers_s": timings[2],
        "speed_up": timings[1] / timings[2],
        "same_result": results[1] == results[2],
        "rounds_per_s_two_workers": rounds / timings[2],
    }


def measure_drain(stack: Stack, jobs: int, clients: int, max_seconds: float) -> dict:
    stack.stop_workers()
    for _ in range(2):
        stack.start_worker()
    _warm(stack)
    latencies: list[float] = []
    job_ids: list[str] = []
    refused: list[str] = []
    lock = threading.Lock()
    counter = iter(range(jobs))
    start = time.perf_counter()

    def client_loop() -> None:
        while True:
            with lock:
                i = next(counter, None)
            if i is None or time.perf_counter() - start > max_seconds:
                return
            body = json.dumps(
                {"name": f"drain {i}", "simulation": {"rounds": SMALL_ROUNDS, "seed": i}}
            )
            sent = time.perf_counter()
            status, reply = stack.client.request("POST", "/api/submit/", body.encode())
            took = time.perf_counter() - sent
            with lock:
                latencies.append(took)
                if status == 202:
                    job_ids.append(reply["job_id"])
                else:
                    refused.append(f"{status} {reply}")

    with ThreadPoolExecutor(max_workers=clients) as pool:
        for _ in range(clients):
            pool.submit(client_loop)
    submitted_s = time.perf_counter() - start
    deadline = time.monotonic() + max_seconds
    while stack.open_jobs() and time.monotonic() < deadline:
        time.sleep(0.5)
    drained_s = time.perf_counter() - start
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return 1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else 0.0

    checked = stack.exactly_once(job_ids)
    return {
        "jobs": len(latencies),
        "clients": clients,
        "accepted": len(job_ids),
        "refused": len(refused),
        "submit_p50_ms": pct(0.50),
        "submit_p99_ms": pct(0.99),
        "submit_mean_ms": 1000 * statistics.fmean(ordered) if ordered else 0.0,
        "submit_s": submitted_s,
        "drained_s": drained_s,
        "jobs_per_s": checked["complete_once"] / drained_s if drained_s else 0.0,
        **checked,
    }


def measure_chaos(
    stack: Stack,
    seconds: float,
    kill_every: float,
    rate: float,
    large_rounds: int,
    max_seconds: float,
    expected_large: Callable[[dict], dict],
) -> dict:
    stack.stop_workers()
    for _ in range(2):
        stack.start_worker()
    _warm(stack)
    small_ids: list[str] = []
    large: list[tuple[str, dict]] = []
    refused = 0
    kills = 0
    start = time.monotonic()
    next_small = next_large = start
    next_kill = start + kill_every
    i = 0
    while time.monotonic() - start < seconds:
        now = time.monotonic()
        if now >= next_large:
            config = {"simulation": {"rounds": large_rounds, "seed": 500 + len(large)}}
            job_id = stack.submit(config)
            if job_id:
                large.append((job_id, config))
            else:
                refused += 1
            next_large += kill_every
        if now >= next_kill:
            busy = stack.busy_worker()  # a worker in the middle of something, when there is one
            stack.kill_worker(kills % 2 if busy is None else busy)
            kills += 1
            next_kill += kill_every
        if now >= next_small:
            job_id = stack.submit({"simulation": {"rounds": SMALL_ROUNDS, "seed": i}})
            i += 1
            if job_id:
                small_ids.append(job_id)
            else:
                refused += 1
            next_small += 1 / rate
        time.sleep(max(0.0, min(next_small, next_kill, next_large) - time.monotonic()))
    window_end = time.monotonic()
    deadline = window_end + max_seconds
    while stack.open_jobs() and time.monotonic() < deadline:
        time.sleep(0.5)
    settled_s = time.monotonic() - window_end
    checked = stack.exactly_once(small_ids + [job_id for job_id, _ in large])
    equal = 0
    for job_id, config in large:
        status = stack.client.get(f"/api/status/{job_id}/")[1]
        if status["status"] == "COMPLETE" and stable(status["result"]) == expected_large(config):
            equal += 1
    shard_reruns = stack.query("SELECT count(*) FROM simulator_jobshard WHERE attempts > 1")[0][0]
    job_reruns = stack.query(
        "SELECT count(*) FROM simulator_simulationjob WHERE shard_count = 0 AND attempts > 1"
    )[0][0]
    return {
        "seconds": seconds,
        "settled_s": settled_s,
        "kills": kills,
        "small_accepted": len(small_ids),
        "large_accepted": len(large),
        "refused": refused,
        "large_equal_to_local": equal,
        "shards_rerun": shard_reruns,
        "small_jobs_rerun": job_reruns,
        **checked,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["scale", "drain", "chaos"], action="append")
    parser.add_argument("--rounds", type=float, default=1e9, help="the scale job's rounds")
    parser.add_argument("--shard-rounds", type=float, default=20e6, help="JOST_SHARD_ROUNDS")
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--chaos-seconds", type=float, default=300.0)
    parser.add_argument("--kill-every", type=float, default=30.0)
    parser.add_argument("--chaos-rate", type=float, default=5.0, help="small jobs per second")
    parser.add_argument("--large-rounds", type=float, default=200e6)
    parser.add_argument("--max-seconds", type=float, default=900.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    parts = args.only or ["scale", "drain", "chaos"]

    from jost_engine import run_simulation_from_config

    local: dict[str, dict] = {}

    def expected_large(config: dict) -> dict:
        key = json.dumps(config, sort_keys=True)
        if key not in local:
            local[key] = stable(run_simulation_from_config(config).to_dict())
        return local[key]

    folder = Path(tempfile.mkdtemp(prefix="jost-scale-"))
    stack = Stack(int(args.shard_rounds), folder)
    figures: dict[str, dict] = {}
    try:
        if "scale" in parts:
            figures["scale"] = measure_scale(stack, int(args.rounds), args.max_seconds)
            print(_line("scale", figures["scale"]), flush=True)
        if "drain" in parts:
            figures["drain"] = measure_drain(stack, args.jobs, args.clients, args.max_seconds)
            print(_line("drain", figures["drain"]), flush=True)
        if "chaos" in parts:
            figures["chaos"] = measure_chaos(
                stack,
                args.chaos_seconds,
                args.kill_every,
                args.chaos_rate,
                int(args.large_rounds),
                args.max_seconds,
                expected_large,
            )
            print(_line("chaos", figures["chaos"]), flush=True)
    finally:
        stack.stop()
    if args.json:
        print(json.dumps(figures, indent=2))
    ok = True
    if "scale" in figures:
        ok &= figures["scale"]["same_result"]
    for name in ("drain", "chaos"):
        if name in figures:
            f = figures[name]
            ok &= f["lost"] == 0 and f["completed_twice"] == 0
    if "drain" in figures:
        ok &= figures["drain"]["started_twice"] == 0
    if "chaos" in figures:
        ok &= figures["chaos"]["large_equal_to_local"] == figures["chaos"]["large_accepted"]
    return 0 if ok else 1


def _line(name: str, f: dict) -> str:
    cores = os.cpu_count()
    if name == "scale":
        return (
            f"scale: {f['rounds']:,} rounds in {f['shards']} shards ({cores} cores): "
            f"1 worker {f['one_worker_s']:.1f} s, 2 workers {f['two_workers_s']:.1f} s, "
            f"speed-up {f['speed_up']:.2f}x, same result {'yes' if f['same_result'] else 'NO'}, "
            f"{f['rounds_per_s_two_workers'] / 1e6:.1f} M rounds/s on 2 workers"
        )
    if name == "drain":
        return (
            f"drain: {f['jobs']:,} jobs from {f['clients']} clients, 2 workers: "
            f"submit p50 {f['submit_p50_ms']:.1f} ms, p99 {f['submit_p99_ms']:.1f} ms, "
            f"mean {f['submit_mean_ms']:.1f} ms ({f['jobs'] / f['submit_s']:.0f}/s submitted); "
            f"drained in {f['drained_s']:.1f} s ({f['jobs_per_s']:.1f} jobs/s); "
            f"accepted {f['accepted']}, complete once {f['complete_once']}, lost {f['lost']}, "
            f"run twice {f['started_twice']}, completed twice {f['completed_twice']}"
        )
    return (
        f"chaos: {f['seconds']:.0f} s, {f['kills']} workers killed, every job finished "
        f"{f['settled_s']:.1f} s after the window closed: accepted "
        f"{f['small_accepted']} small + {f['large_accepted']} large; complete once "
        f"{f['complete_once']}, lost {f['lost']}, completed twice {f['completed_twice']}; "
        f"re-run after a kill: {f['small_jobs_rerun']} small jobs, {f['shards_rerun']} shards; "
        f"large results equal to the local run {f['large_equal_to_local']}/{f['large_accepted']}"
    )


if __name__ == "__main__":
    sys.exit(main())
