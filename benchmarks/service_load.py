"""Load on the service over loopback: submit latency at a fixed rate, and a drain of small jobs.

By default it starts its own service — Gunicorn, then two Celery workers, on PostgreSQL + Redis
when they are reachable (``--backend embedded`` for SQLite + the file-system broker) — submits
``--jobs`` small jobs at ``--rate`` requests per second (an open loop: each request is due at
its own time, and its latency counts from then, so a slow server cannot hide behind a slow
client), then starts the workers and times the drain, checking that every job completed once.
In production web and workers are different machines; on one small machine they would share
its cores, so the workers start after the submits unless ``--workers-during-submit``.
``--url URL --token TOKEN`` measures a service that is already running instead.

Before the measured submits, ``--warmup`` requests (default 400, two seconds at 200/s) go at
the same rate and are reported on their own line: a new web process opens its database
connections (one per HTTP thread) on its first requests, and that start-up cost is not the
steady-state latency a running service shows. ``--warmup 0`` measures from a cold start.

Bounded: at most ``--jobs`` requests, and it gives up after ``--max-seconds``.

    python benchmarks/service_load.py                     # 2,000 jobs at 200/s, PostgreSQL+Redis
    python benchmarks/service_load.py --backend embedded --jobs 500
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
POSTGRES = os.environ.get("JOST_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("JOST_BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
SMALL_JOB_ROUNDS = 1_000
WSGI = False  # --wsgi
WEB_PROCESSES = 2  # --web-processes


# --------------------------------------------------------------------------------------------
# A service of our own
# --------------------------------------------------------------------------------------------


@dataclass
class Service:
    url: str
    token: str
    processes: list[subprocess.Popen] = field(default_factory=list)
    cleanup: list = field(default_factory=list)
    spawn: Callable[[list[str]], subprocess.Popen] | None = None
    folder: Path | None = None

    def start_workers(self, count: int) -> None:
        """``count`` Celery workers (solo pool: one job at a time each); the first runs beat."""
        assert self.spawn is not None and self.folder is not None
        for index in range(count):
            worker = [PYTHON, "-m", "celery", "-A", "service.celery_app", "worker", "--pool=solo"]
            worker += ["--without-gossip", "--without-mingle", "-l", "WARNING"]
            worker += ["-n", f"b{index}@%h"]
            if index == 0:
                worker += ["--beat", "-s", str(self.folder / "beat-schedule")]
            self.processes.append(self.spawn(worker))

    def stop(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.processes:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for step in self.cleanup:
            step()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _reachable(backend: str) -> bool:
    try:
        import psycopg
        import redis

        psycopg.connect(POSTGRES, connect_timeout=3).close()
        redis.Redis.from_url(REDIS, socket_connect_timeout=3).ping()
    except Exception:
        return False
    return backend != "embedded"


def start_service(backend: str, folder: Path) -> Service:
    """Migrate and start Gunicorn as the Procfile does; workers come with start_workers."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "CACHE_URL"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "service.settings",
            "JOST_DATA_DIR": str(folder),
            "JOST_QUEUE": f"jost-bench-{os.getpid()}",
            "JOST_THROTTLE_SUBMIT": "1000000/minute",
            "JOST_THROTTLE_USER": "1000000/minute",
            "JOST_LOG_LEVEL": "WARNING",
        }
    )
    cleanup = []
    if backend == "postgres-redis":
        import psycopg

        name = f"jost_bench_{os.getpid()}"
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

        def drop() -> None:
            with psycopg.connect(POSTGRES, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            import redis

            client = redis.Redis.from_url(REDIS)
            queue = env["JOST_QUEUE"]
            for q in (queue, f"{queue}.control"):
                client.delete(q, f"_kombu.binding.{q}", f"_kombu.binding_permanent.{q}")

        cleanup.append(drop)
        env["DATABASE_URL"] = f"{POSTGRES.rsplit('/', 1)[0]}/{name}"
        env["CELERY_BROKER_URL"] = env["CACHE_URL"] = REDIS

    def manage(*args: str) -> str:
        return subprocess.run(
            [PYTHON, "-m", "service.manage", *args],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    manage("migrate", "--noinput", "-v", "0")
    token = manage("jost_token", "bench")
    port = _free_port()
    log = open(folder / "service.log", "ab")  # noqa: SIM115 - the processes own it

    def spawn(args: list[str]) -> subprocess.Popen:
        return subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    # as the Procfile serves it: ASGI (HTTP and WebSockets) on Uvicorn workers; --wsgi for the
    # thread-pool WSGI server, to compare
    if WSGI:
        web = [PYTHON, "-m", "gunicorn", "service.wsgi:application", "--threads", "4"]
    else:
        web = [PYTHON, "-m", "gunicorn", "service.asgi:application"]
        web += ["--worker-class", "uvicorn_worker.UvicornWorker"]
    web += [
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WEB_PROCESSES),
        "--log-level",
        "warning",
    ]
    service = Service(f"http://127.0.0.1:{port}", token, cleanup=cleanup, spawn=spawn)
    service.folder = folder
    service.processes.append(spawn(web))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if Client(service.url, token).get("/readyz")[0] == 200:
                return service
        except OSError:
            pass
        time.sleep(0.2)
    service.stop()
    raise RuntimeError(f"the service did not start; see {folder / 'service.log'}")


# --------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------


class Client:
    """One keep-alive connection per thread."""

    def __init__(self, url: str, token: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        self.local = threading.local()

    def _conn(self) -> http.client.HTTPConnection:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        return conn

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, dict]:
        for attempt in (1, 2):
            conn = self._conn()
            try:
                conn.request(method, path, body=body, headers=self.headers)
                response = conn.getresponse()
                data = response.read()
                return response.status, json.loads(data) if data else {}
            except (http.client.HTTPException, ConnectionError):
                conn.close()
                self.local.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def get(self, path: str) -> tuple[int, dict]:
        return self.request("GET", path)


# --------------------------------------------------------------------------------------------
# The measurements
# --------------------------------------------------------------------------------------------


class AsyncLoad:
    """An open-loop load generator on one asyncio loop, with raw HTTP/1.1 keep-alive connections.

    Threads and ``http.client`` cost the client half a millisecond of CPU a request and wake-ups
    that wait for the GIL, on the same two cores as the server; this costs a fraction of that,
    so what is measured is the server. A request that finds no idle connection opens one.
    """

    def __init__(self, url: str, token: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.head = (
            f"POST /api/submit/ HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Authorization: Token {token}\r\nContent-Type: application/json\r\n"
        ).encode()
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def submit(self, body: bytes) -> tuple[int, dict]:
        request = self.head + b"Content-Length: %d\r\n\r\n" % len(body) + body
        while self.idle:  # the server closes a connection idle for its keep-alive time
            conn = self.idle.pop()
            try:
                return await self._exchange(conn, request)
            except (OSError, asyncio.IncompleteReadError):
                conn[1].close()
        return await self._exchange(await asyncio.open_connection(self.host, self.port), request)

    async def _exchange(
        self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], request: bytes
    ) -> tuple[int, dict]:
        reader, writer = conn
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        reply = await reader.readexactly(length)
        self.idle.append(conn)
        return status, json.loads(reply) if reply else {}

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()


def submit_at_rate(
    url: str, token: str, jobs: int, rate: float, max_seconds: float, first_seed: int = 0
) -> dict:
    """Submit ``jobs`` small configs, request i due at start + i/rate; latency from its due time."""
    latencies: list[float] = []
    job_ids: list[str] = []
    failures: list[str] = []
    load = AsyncLoad(url, token)

    async def one(i: int, due: float) -> None:
        seed = first_seed + i
        body = {"name": f"bench {seed}", "simulation": {"rounds": SMALL_JOB_ROUNDS, "seed": seed}}
        try:
            status, reply = await load.submit(json.dumps(body).encode())
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            status, reply = 0, {"error": f"{type(exc).__name__}: {exc}"}
        latencies.append(time.perf_counter() - due)
        if status == 202:
            job_ids.append(reply["job_id"])
        else:
            failures.append(f"{status} {reply}")

    async def run() -> float:
        start = time.perf_counter() + 0.2
        tasks = []
        for i in range(jobs):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if time.perf_counter() - start > max_seconds:
                break
            tasks.append(asyncio.create_task(one(i, due)))
        await asyncio.gather(*tasks)
        load.close()
        return start

    start = asyncio.run(run())
    elapsed = time.perf_counter() - start
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return 1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else 0.0

    return {
        "requests": len(latencies),
        "accepted": len(job_ids),
        "failures": failures[:5],
        "offered_rate": rate,
        "achieved_rate": len(latencies) / elapsed if elapsed else 0.0,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_ms": 1000 * ordered[-1] if ordered else 0.0,
        "mean_ms": 1000 * statistics.fmean(ordered) if ordered else 0.0,
        "job_ids": job_ids,
        "started": start,
    }


def drain(client: Client, job_ids: list[str], started: float, max_seconds: float) -> dict:
    """Wait for every job to finish; check each completed exactly once."""
    deadline = time.monotonic() + max_seconds
    while time.monotonic() < deadline:
        open_jobs = sum(
            client.get(f"/api/jobs/?status={s}&page_size=1")[1]["count"]
            for s in ("PENDING", "RUNNING")
        )
        if open_jobs == 0:
            break
        time.sleep(0.5)
    drained_s = time.perf_counter() - started
    seen: dict[str, dict] = {}
    page = 1
    while True:
        status, body = client.get(f"/api/jobs/?page_size=100&page={page}")
        if status != 200:
            break
        for job in body["results"]:
            seen[job["job_id"]] = job
        if not body["next"]:
            break
        page += 1
    mine = [seen.get(job_id) for job_id in job_ids]
    complete = sum(1 for job in mine if job and job["status"] == "COMPLETE")
    return {
        "jobs": len(job_ids),
        "complete": complete,
        "lost_or_unfinished": len(job_ids) - complete,
        "run_more_than_once": sum(1 for job in mine if job and job["attempts"] != 1),
        "drain_s": drained_s,
        "jobs_per_second": complete / drained_s if drained_s else 0.0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running service (else one is started)")
    parser.add_argument("--token", help="its API token (with --url)")
    parser.add_argument("--backend", choices=["auto", "postgres-redis", "embedded"], default="auto")
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=200.0, help="submits per second")
    parser.add_argument(
        "--warmup", type=int, default=400, help="submits before the measured ones (reported apart)"
    )
    parser.add_argument("--workers", type=int, default=2, help="Celery workers to start")
    parser.add_argument(
        "--workers-during-submit",
        action="store_true",
        help="start the workers before the submits (on one small machine they share its cores)",
    )
    parser.add_argument("--max-seconds", type=float, default=300.0)
    parser.add_argument("--wsgi", action="store_true", help="serve with WSGI threads, not ASGI")
    parser.add_argument("--web-processes", type=int, default=2, help="Gunicorn processes")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    global WSGI, WEB_PROCESSES
    WSGI, WEB_PROCESSES = args.wsgi, args.web_processes

    service = None
    backend = "external"
    if args.url:
        if not args.token:
            parser.error("--url needs --token")
        url, token = args.url.rstrip("/"), args.token
    else:
        backend = args.backend
        if backend == "auto":
            backend = "postgres-redis" if _reachable("postgres-redis") else "embedded"
        folder = Path(tempfile.mkdtemp(prefix="jost-bench-"))
        service = start_service(backend, folder)
        url, token = service.url, service.token
    try:
        client = Client(url, token)
        if service is not None and args.workers_during_submit:
            service.start_workers(args.workers)
        warmup = {"requests": 0, "job_ids": []}
        if args.warmup > 0:
            warmup = submit_at_rate(url, token, args.warmup, args.rate, args.max_seconds, 10**6)
            warmup.pop("started")
        submitted = submit_at_rate(url, token, args.jobs, args.rate, args.max_seconds)
        job_ids, started = submitted.pop("job_ids"), submitted.pop("started")
        job_ids += warmup.pop("job_ids")
        if service is not None and not args.workers_during_submit:
            started = time.perf_counter()  # the drain is timed from the workers' start
            service.start_workers(args.workers)
        drained = drain(client, job_ids, started, args.max_seconds)
    finally:
        if service is not None:
            service.stop()
    figures = {
        "backend": backend,
        "workers": args.workers,
        "warmup": warmup,
        "submit": submitted,
        "drain": drained,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        s, d, w = submitted, drained, warmup
        print(f"backend {backend}, {args.workers} workers, {os.cpu_count()} cores")
        if w["requests"]:
            print(
                f"warmup: {w['requests']} requests at {w['offered_rate']:.0f}/s offered: "
                f"p50 {w['p50_ms']:.1f} ms, p99 {w['p99_ms']:.1f} ms, max {w['max_ms']:.1f} ms"
            )
        print(
            f"submit: {s['requests']} requests at {s['offered_rate']:.0f}/s offered "
            f"({s['achieved_rate']:.0f}/s achieved): p50 {s['p50_ms']:.1f} ms, "
            f"p99 {s['p99_ms']:.1f} ms, max {s['max_ms']:.1f} ms; {s['accepted']} accepted"
        )
        print(
            f"drain:  {d['complete']}/{d['jobs']} complete in {d['drain_s']:.1f} s "
            f"({d['jobs_per_second']:.0f} jobs/s); lost {d['lost_or_unfinished']}, "
            f"run twice {d['run_more_than_once']}"
        )
    ok = drained["lost_or_unfinished"] == 0 and drained["run_more_than_once"] == 0
    return 0 if ok and not submitted["failures"] and not warmup.get("failures") else 1


if __name__ == "__main__":
    sys.exit(main())
