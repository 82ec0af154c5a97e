"""``jost serve`` on the embedded default, and a terminal that never needs Django."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.service.conftest import ORIGINAL_ENV
from tests.service.live import ROOT, Stack, free_port

JOST = [sys.executable, "-c", "from user_terminal.cli import app; app()"]


def test_jost_serve_runs_a_job_with_nothing_installed_and_stops_on_ctrl_c(tmp_path):
    env = {
        k: v
        for k, v in ORIGINAL_ENV.items()
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "CACHE_URL"}
        and not k.startswith("JOST_")
    }
    env.update({"JOST_DATA_DIR": str(tmp_path / "data"), "PYTHONUNBUFFERED": "1"})
    port = free_port()
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 - closed below
    serve = subprocess.Popen(
        [*JOST, "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    stack = Stack("jost-serve", env, tmp_path, f"http://127.0.0.1:{port}")
    try:
        stack.wait_ready(timeout=90)
        stack.tokens["alice"] = stack.manage("jost_token", "alice")
        job = stack.call("POST", "/api/submit", {"simulation": {"rounds": 50_000, "seed": 1}})
        assert job.status == 202, job.body
        status = stack.wait_for(job.body["job_id"], lambda s: s["status"] == "COMPLETE")
        assert status["result"]["rounds"] == 50_000
        assert (tmp_path / "data" / "service" / "db.sqlite3").exists()
    finally:
        serve.send_signal(signal.SIGINT)
        try:
            code = serve.wait(timeout=30)
        finally:
            if serve.poll() is None:
                os.killpg(serve.pid, signal.SIGKILL)
            log.close()
    assert code == 0, (tmp_path / "serve.log").read_text()
    time.sleep(0.5)
    try:
        stack.call("GET", "/healthz", user=None)
    except OSError:
        pass  # the web server is gone with it
    else:
        raise AssertionError("the web server outlived jost serve")
    assert processes_with(f"JOST_DATA_DIR={tmp_path / 'data'}") == [], "processes left behind"


def processes_with(variable: str) -> list[int]:
    """Processes whose environment holds ``variable`` (those this test started, on Linux)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if variable.encode() in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def test_the_terminal_imports_no_service_code():
    probe = (
        "import sys, user_terminal.cli\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'django', 'rest_framework', 'celery', 'service'})\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", probe], cwd=ROOT, check=True, timeout=60)
