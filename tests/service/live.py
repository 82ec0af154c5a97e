"""A real service as subprocesses (migrate, Gunicorn, Celery workers with beat) and an HTTP client.

Used by the live tests and shaped like production: every process gets its settings only from
environment variables, exactly as the Procfile and docker-compose.yml give them.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def stop_group(proc: subprocess.Popen, grace_s: float = 30) -> None:
    """SIGTERM to a process started with ``start_new_session``, SIGKILL to its group after
    ``grace_s``: nothing it started outlives the test."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def submit_and_finish(stack: Stack, rounds: int, seed: int) -> dict:
    """alice's token, one job of ``rounds`` submitted and followed to COMPLETE; its status."""
    stack.tokens["alice"] = stack.manage("jost_token", "alice")
    job = stack.call("POST", "/api/submit", {"simulation": {"rounds": rounds, "seed": seed}})
    assert job.status == 202, job.body
    status = stack.wait_for(job.body["job_id"], lambda s: s["status"] == "COMPLETE")
    assert status["result"]["rounds"] == rounds
    return status


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Headers(dict):
    """Response headers looked up case-insensitively, as HTTP defines them (servers differ)."""

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)

    def __contains__(self, key: object) -> bool:
        return super().__contains__(str(key).lower())


def _headers(message: Any) -> _Headers:
    return _Headers((k.lower(), v) for k, v in message.items())


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any


@dataclass
class Stack:
    """One running service; ``env`` is what each of its processes was started with."""

    backend: str
    env: dict[str, str]
    folder: Path
    base_url: str
    tokens: dict[str, str] = field(default_factory=dict)
    web: subprocess.Popen | None = None
    workers: list[subprocess.Popen] = field(default_factory=list)
    cleanup: list[Callable[[], None]] = field(default_factory=list)

    # ---- processes ------------------------------------------------------------------------

    def manage(self, *args: str, timeout: float = 120) -> str:
        done = subprocess.run(
            [PYTHON, "-m", "service.manage", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout.strip()

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "ab")  # noqa: SIM115 - the process owns it
        return subprocess.Popen(
            args,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a kill takes beat with it
        )

    def start_web(self) -> None:
        port = int(self.base_url.rsplit(":", 1)[1])
        self.web = self._spawn(
            "web",
            [
                PYTHON,
                "-m",
                "gunicorn",
                "service.asgi:application",
                "--config",
                "python:service.gunicorn_conf",
                "--worker-class",
                "uvicorn_worker.UvicornWorker",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--log-level",
                "warning",
            ],
        )

    def start_worker(self, *, beat: bool = True) -> subprocess.Popen:
        """A solo-pool Celery worker, with embedded beat unless ``beat`` is False (every worker
        reaps on its own timer anyway: service.celery_app.ReaperTimer)."""
        index = len(self.workers)
        worker = self._spawn(
            f"worker{index}",
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "service.celery_app",
                "worker",
                "--pool=solo",
                *(["--beat"] if beat else []),
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
                "-n",
                f"w{index}-{os.getpid()}@%h",
                "-s",
                str(self.folder / f"beat-schedule-{index}"),
            ],
        )
        self.workers.append(worker)
        return worker

    def kill_workers(self) -> None:
        """SIGKILL every worker and its beat: a machine that died mid-job."""
        for worker in self.workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=10)

    def stop(self) -> None:
        procs = [p for p in [self.web, *self.workers] if p is not None and p.poll() is None]
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        for step in self.cleanup:
            step()

    def logs(self) -> str:
        parts = []
        for path in sorted(self.folder.glob("*.log")):
            parts.append(f"--- {path.name} ---\n{path.read_text(errors='replace')[-4000:]}")
        return "\n".join(parts)

    # ---- HTTP -------------------------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        user: str | None = "alice",
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        data = raw if raw is not None else None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if user is not None:
            request.add_header("Authorization", f"Token {self.tokens[user]}")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, got, text = response.status, _headers(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            status, got, text = exc.code, _headers(exc.headers), exc.read()
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text.decode(errors="replace")
        return Reply(status, got, parsed)

    def wait_for(
        self, job_id: str, done: Callable[[dict], bool], timeout: float = 90, user: str = "alice"
    ) -> dict:
        """Poll the job's status until ``done(status)``; fails with the service's logs."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            reply = self.call("GET", f"/api/status/{job_id}/", user=user)
            last = reply.body
            if reply.status == 200 and done(reply.body):
                return reply.body
            time.sleep(0.2)
        raise AssertionError(f"job {job_id} never got there; last status {last}\n{self.logs()}")

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.call("GET", "/readyz", user=None).status == 200:
                    return
            except OSError:
                pass
            if self.web is not None and self.web.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError(f"the service never became ready\n{self.logs()}")


_RUNNING: set[str] = set()  # the queue names of this process's running stacks


def _create_postgres_db(postgres_url: str, name: str) -> Callable[[], None]:
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        # FORCE: a stack of the same name stopped just before (pytest re-creates a parametrized
        # session stack when its parameter comes round again) may still hold a connection; a
        # stack of the same name still running is refused before this (start_stack)
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return drop


def _forget_redis_queues(redis_url: str, queue: str) -> None:
    """Remove this run's queues and its unacknowledged messages (a killed worker leaves one)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    for name in (queue, f"{queue}.control", f"{queue}.shards"):
        client.delete(name, f"_kombu.binding.{name}", f"_kombu.binding_permanent.{name}")
    for tag, payload in client.hgetall("unacked").items():
        if queue.encode() in payload:
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)


def start_stack(
    backend: str,
    folder: Path,
    *,
    base_env: dict[str, str],
    postgres_url: str,
    redis_url: str,
    label: str = "",
    settings: dict[str, str] | None = None,
    workers: int = 1,
    beat: bool = True,
) -> Stack:
    """Migrate, create users alice and bob, start Gunicorn and one worker; wait until ready.

    ``label`` keeps this stack's database and queues apart from another stack's in the same run;
    ``settings`` (environment variables) override the fast test defaults below; ``workers``
    workers are started, the first with beat unless ``beat`` is False.
    """
    env = {
        k: v
        for k, v in base_env.items()
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "CACHE_URL"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "service.settings",
            "JOST_DATA_DIR": str(folder / "data"),
            "JOST_QUEUE": f"jost-test-{os.getpid()}-{backend}{label}",
            # fast reliability clocks, so a dead worker is noticed within seconds
            "JOST_HEARTBEAT_S": "0.5",
            "JOST_STALE_AFTER_S": "3",
            "JOST_REAPER_INTERVAL_S": "1",
            "JOST_PROGRESS_INTERVAL_S": "0.5",
            "JOST_HEADER_TIMEOUT_S": "2",  # a slow client is cut off within the test's patience
            "JOST_THROTTLE_SUBMIT": "10000/minute",
            "JOST_THROTTLE_USER": "100000/minute",
            "JOST_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(settings or {})
    queue = env["JOST_QUEUE"]
    if queue in _RUNNING:
        # two stacks of one name would share a database and queues: a job could run on the
        # other stack's worker (a killed worker's job then finished on its first attempt)
        raise RuntimeError(f"a live stack named {queue!r} is already running; give one a label")
    _RUNNING.add(queue)
    port = free_port()
    stack = Stack(backend, env, folder, f"http://127.0.0.1:{port}")
    stack.cleanup.append(lambda: _RUNNING.discard(queue))
    try:
        if backend == "postgres-redis":
            name = f"jost_live_{os.getpid()}{label.replace('-', '_')}"
            stack.cleanup.append(_create_postgres_db(postgres_url, name))
            env["DATABASE_URL"] = f"{postgres_url.rsplit('/', 1)[0]}/{name}"
            env["CELERY_BROKER_URL"] = redis_url
            env["CACHE_URL"] = redis_url
            stack.cleanup.append(lambda: _forget_redis_queues(redis_url, queue))
        stack.manage("migrate", "--noinput", "-v", "0")
        for name in ("alice", "bob"):
            stack.tokens[name] = stack.manage("jost_token", name)
        stack.start_web()
        for index in range(workers):
            stack.start_worker(beat=beat and index == 0)
        stack.wait_ready()
    except BaseException:
        stack.stop()
        raise
    return stack


class OwnRedis:
    """A Redis server of the test's own (``redis-server --port N --save ''``), to kill and
    restart empty without touching the machine's Redis."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 10) -> None:
        import redis

        log = open(self.folder / f"redis-{self.port}.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            cwd=self.folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server on port {self.port} never answered")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: every message it held is gone."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
