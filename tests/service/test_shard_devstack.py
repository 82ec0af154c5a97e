"""start-dev.sh / stop-dev.sh: the production-shaped stack from a checkout, and a clean stop.

Run against the machine's own PostgreSQL and Redis (the script uses them when they answer), with
its own folder, port, database and queue, so nothing else on the machine is touched: a sharded
job completes on its two workers, and stop-dev.sh stops exactly the processes start-dev.sh
started, leaving PostgreSQL and Redis running.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.service.conftest import (
    ORIGINAL_ENV,
    POSTGRES_URL,
    REDIS_URL,
    postgres_problem,
    redis_problem,
    require,
)
from tests.service.live import free_port

ROOT = Path(__file__).resolve().parents[2]
MACHINE_PG = "postgres://postgres@127.0.0.1:5432/postgres"


def _alive(pid: int, start: str) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[21] == start
    except (FileNotFoundError, IndexError):
        return False


def _call(url: str, method: str = "GET", body: dict | None = None, token: str = "") -> dict:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", f"Token {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_start_dev_runs_the_stack_and_stop_dev_stops_exactly_it(tmp_path):
    require(postgres_problem())
    require(redis_problem())
    if POSTGRES_URL != MACHINE_PG or not REDIS_URL.startswith("redis://127.0.0.1:6379/"):
        require("start-dev.sh uses PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379")
    import psycopg
    import redis

    folder = tmp_path / "dev"
    port = free_port()
    database = f"jost_devstack_{os.getpid()}"
    queue = f"jost-devstack-{os.getpid()}"
    env = {
        **ORIGINAL_ENV,
        "JOST_DEV_DIR": str(folder),
        "PORT": str(port),
        "JOST_DEV_WORKERS": "2",
        "JOST_DEV_DB": database,
        "JOST_PYTHON": sys.executable,
        "JOST_QUEUE": queue,
        "JOST_SHARD_ROUNDS": "2000000",
        "JOST_LOG_LEVEL": "WARNING",
    }
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CACHE_URL", "JOST_DATA_DIR"):
        env.pop(name, None)
    try:
        started = subprocess.run(
            [str(ROOT / "start-dev.sh")], env=env, capture_output=True, text=True, timeout=120
        )
        assert started.returncode == 0, started.stdout + started.stderr
        assert "PostgreSQL: using the one on 127.0.0.1:5432" in started.stdout
        pids = {path.stem: tuple(path.read_text().split()) for path in sorted(folder.glob("*.pid"))}
        assert set(pids) == {"web", "worker1", "worker2", "beat"}  # no Redis of its own
        assert all(_alive(int(pid), start) for pid, start in pids.values())

        token = subprocess.run(
            [sys.executable, "-m", "service.manage", "jost_token", "alice"],
            cwd=ROOT,
            env={**env, **_env_file(folder / "env")},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        base = f"http://127.0.0.1:{port}"
        config = {"simulation": {"rounds": 6_000_000, "seed": 4}}
        job = _call(f"{base}/api/submit/", "POST", config, token)["job_id"]
        deadline = time.monotonic() + 90
        while (status := _call(f"{base}/api/status/{job}/", token=token))["status"] in {
            "PENDING",
            "RUNNING",
        }:
            assert time.monotonic() < deadline, status
            time.sleep(0.2)
        assert status["status"] == "COMPLETE", status
        assert status["result"]["rounds"] == 6_000_000
    finally:
        stopped = subprocess.run(
            [str(ROOT / "stop-dev.sh")], env=env, capture_output=True, text=True, timeout=120
        )
        with psycopg.connect(MACHINE_PG, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        client = redis.Redis(host="127.0.0.1", port=6379, db=0)
        for name in (queue, f"{queue}.shards", f"{queue}.control"):
            client.delete(name, f"_kombu.binding.{name}")
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    for name in ("web", "worker1", "worker2", "beat"):
        assert f"{name}: stopped" in stopped.stdout, stopped.stdout
    assert not any(_alive(int(pid), start) for pid, start in pids.values())
    assert not list(folder.glob("*.pid"))
    assert postgres_problem() is None and redis_problem() is None  # the machine's, left running


def _env_file(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines()
    pairs = [
        line.removeprefix("export ").split("=", 1) for line in lines if line.startswith("export")
    ]
    return dict(pairs)
