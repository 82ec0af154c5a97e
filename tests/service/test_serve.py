"""``jost serve`` on the embedded default, and a terminal that never needs Django."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.service.conftest import ORIGINAL_ENV
from tests.service.live import ROOT, Stack, free_port, stop_group, submit_and_finish

# The installed command, as a player types it (``python -c`` would import from the folder).
JOST = [str(Path(sys.executable).parent / "jost")]


def shadowed_folder(folder: Path) -> Path:
    """A folder whose own ``jost_engine``, ``user_terminal`` and ``service`` (a plain folder, as
    in the service's data folder) would shadow the packages if a process imported from it."""
    for name in ("jost_engine", "user_terminal"):
        (folder / name).mkdir(parents=True, exist_ok=True)
        (folder / name / "__init__.py").write_text(
            f"raise SystemExit('imported the folder {name}')\n"
        )
    (folder / "service").mkdir(exist_ok=True)
    return folder


def embedded_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in ORIGINAL_ENV.items()
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "CACHE_URL"}
        and not k.startswith("JOST_")
    }
    env.update({"PYTHONUNBUFFERED": "1", **extra})
    return env


def test_jost_serve_runs_a_job_from_its_own_data_folder_and_stops_on_ctrl_c(tmp_path):
    """Started in its data folder (which holds a ``service/`` folder, given relatively), beside
    folders named like the other packages: every process still imports the packages."""
    data = shadowed_folder(tmp_path / "data")
    env = embedded_env(JOST_DATA_DIR=".")
    port = free_port()
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 - closed below
    serve = subprocess.Popen(
        [*JOST, "serve", "--port", str(port)],
        cwd=data,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    stack = Stack(
        "jost-serve", {**env, "JOST_DATA_DIR": str(data)}, tmp_path, f"http://127.0.0.1:{port}"
    )
    try:
        stack.wait_ready(timeout=90)
        submit_and_finish(stack, 50_000, seed=1)
        assert (data / "service" / "db.sqlite3").exists()
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
    assert processes_with(f"JOST_DATA_DIR={data}") == [], "processes left behind"


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if ": " in line)


def test_the_procfile_processes_start_from_a_folder_that_shadows_the_packages(tmp_path):
    """release migrates, web answers /readyz and a worker plus beat run a job, each started by
    its Procfile line in a folder with its own service/, jost_engine/ and user_terminal/."""
    folder = shadowed_folder(tmp_path / "elsewhere")
    port = free_port()
    env = embedded_env(
        JOST_DATA_DIR=str(tmp_path / "data"),
        PORT=str(port),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{ORIGINAL_ENV.get('PATH', '')}",
    )
    lines = procfile()
    assert set(lines) == {"release", "web", "worker", "beat"}
    release = subprocess.run(
        ["bash", "-c", lines["release"]], cwd=folder, env=env, capture_output=True, timeout=120
    )
    assert release.returncode == 0, release.stdout + release.stderr
    logs, processes = {}, {}
    try:
        for name in ("web", "worker", "beat"):
            logs[name] = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 - closed below
            processes[name] = subprocess.Popen(
                ["bash", "-c", f"exec {lines[name]}"],
                cwd=folder,
                env=env,
                stdout=logs[name],
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        stack = Stack("procfile", env, tmp_path, f"http://127.0.0.1:{port}")
        stack.wait_ready(timeout=90)
        submit_and_finish(stack, 20_000, seed=2)
        for name, proc in processes.items():
            assert proc.poll() is None, (tmp_path / f"{name}.log").read_text()
    finally:
        for proc in processes.values():
            stop_group(proc)
        for log in logs.values():
            log.close()


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


def test_jost_worker_starts_from_a_folder_that_shadows_the_packages(tmp_path):
    folder = shadowed_folder(tmp_path / "elsewhere")
    env = embedded_env(JOST_DATA_DIR=str(tmp_path / "data"))
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 - closed below
    worker = subprocess.Popen(
        [*JOST, "worker", "--concurrency", "1"],
        cwd=folder,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and worker.poll() is None:
            if b" ready." in (tmp_path / "worker.log").read_bytes():
                break
            time.sleep(0.2)
        text = (tmp_path / "worker.log").read_text()
        assert worker.poll() is None and " ready." in text, text
        assert "imported the folder" not in text
    finally:
        stop_group(worker)
        log.close()
