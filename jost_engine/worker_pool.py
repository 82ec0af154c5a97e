"""The local worker processes a parallel run uses: started once per caller, kept warm, reused.

Why not `multiprocessing`: its forkserver and spawn start methods re-import the caller's
``__main__`` in every worker (an unguarded script re-runs itself there and dies; a script fed on
stdin cannot be re-imported at all), and its resource tracker hands on ``sys.stderr``'s file
descriptor, which a Textual app has replaced ("bad value(s) in fds_to_keep"); fork is unsafe in
the threaded hosts that call us. So each worker is a plain subprocess of this interpreter
(`jost_engine.worker_process`) that depends on nothing of the caller but its environment, and
talks over its own pipes. Workers outlive a run, so only the first run of a process pays their
start-up (about half a second; about 20 s when the kernel must first be compiled).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import selectors
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import jost_engine
from jost_engine.shards import SimulationCancelled

# The folder the engine was imported from: the worker must import this same engine, even when
# the caller found it through its own sys.path rather than an installed package.
_ENGINE_ROOT = str(Path(jost_engine.__file__).resolve().parent.parent)
_STDERR_TAIL = 2000


class WorkerFailed(RuntimeError):
    """A worker process stopped without finishing its shard; the text says what it printed."""


class Worker:
    """One worker process and the unread part of what it said."""

    def __init__(self) -> None:
        self.stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the worker
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([_ENGINE_ROOT, *filter(None, [env.get("PYTHONPATH")])])
        env.setdefault("PYTHONUNBUFFERED", "1")
        self.process = subprocess.Popen(
            # -P: not the working directory first, where a folder named jost_engine would win
            [sys.executable, "-P", "-m", "jost_engine.worker_process"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            env=env,
            cwd=_ENGINE_ROOT,
            close_fds=True,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.stdin = self.process.stdin
        self.fd = self.process.stdout.fileno()
        os.set_blocking(self.fd, False)
        self.buffer = b""
        self.ready = False
        self.compiled = False
        self.config: str | None = None

    def alive(self) -> bool:
        return self.process.poll() is None

    def send(self, message: dict[str, Any]) -> None:
        self.stdin.write((json.dumps(message, separators=(",", ":")) + "\n").encode())
        self.stdin.flush()

    def read(self) -> tuple[list[dict[str, Any]], bool]:
        """The whole messages that have arrived, and whether the worker closed its end."""
        try:
            chunk = os.read(self.fd, 1 << 16)
        except BlockingIOError:
            return [], False
        if not chunk:
            return [], True
        self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        return [json.loads(line) for line in lines if line.strip()], False

    def failure(self) -> str:
        """Why it stopped: its exit status and the end of what it wrote to stderr."""
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        self.stderr.seek(0, os.SEEK_END)
        size = self.stderr.tell()
        self.stderr.seek(max(0, size - _STDERR_TAIL))
        tail = self.stderr.read().decode("utf-8", "replace").strip()
        status = f"exit status {code}" if code is not None else "no exit status"
        return f"{status}; it said: {tail}" if tail else status

    def close(self, kill: bool = False) -> None:
        """Stop the worker: end of input lets it exit by itself; ``kill`` does not wait."""
        if kill:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
        with contextlib.suppress(OSError, ValueError):
            self.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        with contextlib.suppress(OSError, ValueError):
            self.process.stdout.close()  # type: ignore[union-attr]
        self.stderr.close()


class WorkerPool:
    """The workers of this process: idle ones wait warm; each run takes what it needs, then
    gives them back (finished) or discards them (stopped or failed: they may be mid-shard)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[Worker] = []
        self._busy: list[Worker] = []
        self._pid = os.getpid()

    def _own(self) -> None:
        # A forked child of this process must not use (or stop) its parent's workers.
        if os.getpid() != self._pid:
            self._idle, self._busy, self._pid = [], [], os.getpid()

    def take(self, n: int) -> list[Worker]:
        """``n`` workers: idle live ones first, new ones for the rest (they warm up meanwhile)."""
        with self._lock:
            self._own()
            dead = [w for w in self._idle if not w.alive()]
            live = [w for w in self._idle if w.alive()]
            taken, self._idle = live[:n], live[n:]
        for gone in dead:
            gone.close()
        taken += [Worker() for _ in range(n - len(taken))]
        with self._lock:
            self._busy += taken
        return taken

    def give_back(self, workers: list[Worker]) -> None:
        with self._lock:
            self._own()
            self._busy = [w for w in self._busy if w not in workers]
            self._idle.extend(w for w in workers if w.alive())

    def discard(self, workers: list[Worker]) -> None:
        with self._lock:
            self._own()
            self._busy = [w for w in self._busy if w not in workers]
        for w in workers:
            w.close(kill=True)

    def pids(self) -> list[int]:
        """The process ids of this pool's live workers, idle or busy (for tests and tools)."""
        with self._lock:
            return [w.process.pid for w in (*self._busy, *self._idle) if w.alive()]

    def close(self) -> None:
        with self._lock:
            mine = os.getpid() == self._pid
            workers, self._idle, self._busy = [*self._idle, *self._busy], [], []
        if mine:
            for w in workers:
                w.close()


POOL = WorkerPool()
atexit.register(POOL.close)


Message = Callable[[Worker, dict[str, Any]], None]


def pump(
    pool: list[Worker],
    on_message: Message,
    *,
    until: Callable[[], bool],
    stop: Callable[[], bool] | None,
    timeout_s: float = 0.1,
) -> None:
    """Read every worker's messages into ``on_message`` until ``until()`` is true.

    ``stop()`` is asked at least every ``timeout_s``; a worker that closes its end before
    ``until()`` raises `WorkerFailed` with what it said.
    """
    with selectors.DefaultSelector() as sel:
        for w in pool:
            sel.register(w.fd, selectors.EVENT_READ, w)
        while not until():
            if stop is not None and stop():
                raise SimulationCancelled("simulation cancelled")
            for key, _ in sel.select(timeout_s):
                worker: Worker = key.data
                messages, closed = worker.read()
                for message in messages:
                    on_message(worker, message)
                if closed:
                    sel.unregister(worker.fd)
                    if not until():
                        raise WorkerFailed(f"a simulation worker stopped: {worker.failure()}")
