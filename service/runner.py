"""``jost serve`` and ``jost worker``: the service's processes, started for local use.

``serve`` migrates the database, then runs the web server (Gunicorn with Uvicorn workers:
HTTP and WebSockets; Uvicorn alone where Gunicorn cannot run) and one Celery worker with beat
(the reaper's schedule) side by side, restarts the worker if it dies, and stops both on Ctrl-C.
With no environment set everything lives under ``JOST_DATA_DIR``: nothing to install.
Production runs the same commands as separate processes (see the Procfile).

Every process starts as ``python -P -m …`` in the folder that holds this ``service`` package, never
in the caller's working directory: Celery and Gunicorn put their working directory first on
``sys.path``, where a folder of the caller's named ``service`` (the data folder has one) would be
imported instead of this package. Relative paths in the settings (``JOST_DATA_DIR``) are made
absolute first, so they still mean what they meant where the command was typed. The Procfile
starts the same processes through ``python -P -m service.runner web|worker|beat|migrate``.

Why Gunicorn + Uvicorn rather than Daphne: Gunicorn already supervises the web processes here
(several workers on one port, a dead one replaced, graceful restarts), and Uvicorn's worker
adds the ASGI protocols to it; Daphne is one process per port.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import service

PYTHON = sys.executable
SETTINGS = "service.settings"
WORKER_RESTARTS = 5
# The folder that holds this package: the only working directory where `service` is this one.
HOME = str(Path(service.__file__).resolve().parent.parent)
PATH_SETTINGS = ("JOST_DATA_DIR",)
# control socket, trusted proxies, header deadline, redacted logs (service/gunicorn_conf.py)
GUNICORN_CONFIG = ("--config", "python:service.gunicorn_conf")


def _python(module: str, *args: str) -> list[str]:
    """``python -P -m module``: -P keeps the working directory off the front of sys.path."""
    return [PYTHON, "-P", "-m", module, *args]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    env.setdefault("PYTHONUNBUFFERED", "1")
    env["PYTHONSAFEPATH"] = "1"  # -P for every Python these processes start in turn
    for name in PATH_SETTINGS:
        if env.get(name, "").strip():
            env[name] = str(Path(env[name].strip()).expanduser().resolve())
    return env


def manage(*args: str) -> int:
    """Run a Django management command in a child process; its exit code."""
    return subprocess.call(_python("service.manage", *args), env=_env(), cwd=HOME)


def worker_command(*, concurrency: int | None = None, beat: bool = False) -> list[str]:
    """The Celery worker: prefork children run jobs (each on one core), prefetch one at a time."""
    command = _python("celery", "-A", "service.celery_app", "worker", "--loglevel=INFO")
    command += ["--without-gossip", "--without-mingle"]
    if concurrency:
        command.append(f"--concurrency={concurrency}")
    if beat:
        command.append("--beat")
    return command


def web_command(port: int, host: str = "127.0.0.1") -> list[str]:
    """The ASGI app (HTTP and the live-progress WebSockets on one port).

    Gunicorn with Uvicorn workers on POSIX, as in the Procfile: Gunicorn supervises several
    worker processes on one port (restarting any that dies) and Uvicorn speaks HTTP/1.1 and
    WebSockets inside each. Where Gunicorn cannot run (Windows), Uvicorn alone.
    """
    if importlib.util.find_spec("gunicorn") is not None and os.name == "posix":
        return [
            *_python("gunicorn"),
            "service.asgi:application",
            *GUNICORN_CONFIG,
            "--worker-class",
            "uvicorn_worker.UvicornWorker",
            "--bind",
            f"{host}:{port}",
            "--workers",
            "2",
            "--access-logfile",
            "-",
        ]
    return [
        *_python("uvicorn"),
        "service.asgi:application",
        "--host",
        host,
        "--port",
        str(port),
    ]


def _start(command: Sequence[str]) -> subprocess.Popen:
    return subprocess.Popen(
        list(command), env=_env(), cwd=HOME, start_new_session=os.name == "posix"
    )


def _stop(processes: Sequence[subprocess.Popen], grace_s: float = 15) -> None:
    """SIGTERM to each main process (a warm shutdown: it stops its own children; a running
    job finishes or is re-queued), then SIGKILL to whatever of its group is left."""
    alive = [p for p in processes if p.poll() is None]
    for proc in alive:
        proc.terminate()
    deadline = time.monotonic() + grace_s
    for proc in alive:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            proc.wait()


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            proc.kill()
    except ProcessLookupError:
        pass


def serve(port: int = 8000) -> int:
    """Migrate, then run web + worker until interrupted; the exit code for the shell."""
    if manage("migrate", "--noinput", "-v", "0") != 0:
        print("jost serve: the database migration failed", file=sys.stderr)
        return 1
    web = _start(web_command(port))
    worker = _start(worker_command(beat=True))
    print(
        f"jost serve: http://127.0.0.1:{port}/api/docs/  (Ctrl-C stops)\n"
        f"  the workbench (staff): http://127.0.0.1:{port}/workbench/\n"
        "  a token for curl: python -m service.manage jost_token YOUR_NAME",
        file=sys.stderr,
        flush=True,
    )
    stop = {"now": False}

    def interrupted(signum: int, frame: object) -> None:
        stop["now"] = True

    previous = {s: signal.signal(s, interrupted) for s in (signal.SIGINT, signal.SIGTERM)}
    restarts = 0
    code = 0
    try:
        while not stop["now"]:
            if web.poll() is not None:
                print(f"jost serve: the web server stopped ({web.returncode})", file=sys.stderr)
                code = web.returncode or 1
                break
            if worker.poll() is not None:
                restarts += 1
                if restarts > WORKER_RESTARTS:
                    print("jost serve: the worker keeps stopping; giving up", file=sys.stderr)
                    code = 1
                    break
                print("jost serve: the worker stopped; starting a new one", file=sys.stderr)
                worker = _start(worker_command(beat=True))
            time.sleep(0.5)
    finally:
        _stop([web, worker])
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code


def worker(concurrency: int | None = None, *, beat: bool = False) -> int:
    """Run one Celery worker in the foreground; ``beat`` adds the reaper's schedule."""
    return subprocess.call(worker_command(concurrency=concurrency, beat=beat), env=_env(), cwd=HOME)


# ---- the Procfile's processes --------------------------------------------------------------

PROCFILE = {
    "migrate": lambda: _python("service.manage", "migrate", "--noinput"),
    "web": lambda: [
        *_python("gunicorn", "service.asgi:application", *GUNICORN_CONFIG),
        *("--worker-class", "uvicorn_worker.UvicornWorker", "--access-logfile", "-"),
    ],
    "worker": lambda: worker_command(),
    "beat": lambda: _python("celery", "-A", "service.celery_app", "beat", "--loglevel=INFO"),
}


def main(argv: Sequence[str] | None = None) -> int:
    """``python -P -m service.runner PROCESS [ARGS…]``: one of the Procfile's processes, from
    this package's folder whatever the working directory; ARGS go to Gunicorn or Celery."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in PROCFILE:
        print(
            f"usage: python -P -m service.runner {{{'|'.join(PROCFILE)}}} [ARGS…]", file=sys.stderr
        )
        return 2
    command = [*PROCFILE[args[0]](), *args[1:]]
    env = _env()
    os.chdir(HOME)
    os.execve(command[0], command, env)
    return 0  # pragma: no cover - execve does not return


if __name__ == "__main__":
    sys.exit(main())
