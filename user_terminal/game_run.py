"""Running a game: here with the engine, or on the service, for any front end.

One path for the CLI and the TUI, which only present it: `run_game` reports through callbacks
(``progress(done, total)``, ``status(line)`` while the rounds cannot start yet, ``note(line)``
for what is worth keeping, such as the job id) and stops when ``cancel`` is set. It returns an
`Outcome`: the result document (docs/config.md, "Result"), where it ran and the remote job.

Everything a player should read is a `JostError`: a refused config, a failed or unreachable
service, `RunFailed` for the engine's own failures, `RunStopped` for a cancelled run or Ctrl-C
(`StillRunning` when a remote job was left running). Nothing here prints or asks.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jost_engine import Config, ConfigError, SimulationCancelled, run_simulation_from_config
from user_terminal import history
from user_terminal.config_files import config_error_text
from user_terminal.credentials import Login, require_login
from user_terminal.errors import EXIT_FAILURE, EXIT_INTERRUPTED, JostError
from user_terminal.remote import ServiceClient

LOCAL = "local"

Progress = Callable[[int, int], None]
Line = Callable[[str], None]


@dataclass(frozen=True)
class Outcome:
    """A finished run: its result document, ``where`` it ran (`LOCAL` or the service's URL) and
    the remote job's id (None for a local run)."""

    result: dict[str, Any]
    where: str = LOCAL
    job: str | None = None


class RunStopped(JostError):
    """The run was stopped before its result: ``cancel`` was set, or Ctrl-C. ``job`` is the
    remote job (None for a local run)."""

    def __init__(self, message: str, job: str | None = None) -> None:
        super().__init__(message, EXIT_INTERRUPTED)
        self.job = job


class StillRunning(RunStopped):
    """Ctrl-C while a remote job ran: the job keeps running on the service unless `cancel`."""

    def __init__(self, job: str, login: Login) -> None:
        super().__init__(
            f"interrupted: job {job} keeps running on {login.url}; "
            f"`jost jobs result {job}` fetches its result",
            job,
        )
        self.login = login

    def cancel(self) -> RunStopped:
        """Cancel the job on the service; returns the error that says so."""
        with ServiceClient(self.login.url, self.login.token) as client:
            client.cancel(str(self.job))
        return RunStopped(f"interrupted: cancelled job {self.job}", self.job)


class RunFailed(JostError):
    """The engine failed (a bug, not the player's input); ``error`` is what it raised."""

    def __init__(self, error: Exception) -> None:
        super().__init__(
            f"the simulation failed: {describe(error)} (set JOST_DEBUG=1 to see the traceback)",
            EXIT_FAILURE,
        )
        self.error = error


def describe(error: BaseException) -> str:
    """``TypeName: message`` of an unexpected exception."""
    return f"{type(error).__name__}: {error}"


def run_game(
    config: Config,
    *,
    remote: bool = False,
    source: str = "the config",
    workers: int | None = None,
    progress: Progress | None = None,
    status: Line | None = None,
    note: Line | None = None,
    cancel: threading.Event | None = None,
    login: Login | None = None,
    poll_s: float = 0.5,
) -> Outcome:
    """Run ``config`` here (`run_here`) or, when ``remote``, on the service (`run_on_service`)."""
    if remote:
        return run_on_service(
            config, progress=progress, note=note, cancel=cancel, login=login, poll_s=poll_s
        )
    return run_here(
        config, source=source, workers=workers, progress=progress, status=status, cancel=cancel
    )


def run_here(
    config: Config,
    *,
    source: str = "the config",
    workers: int | None = None,
    progress: Progress | None = None,
    status: Line | None = None,
    cancel: threading.Event | None = None,
) -> Outcome:
    """Run on this machine (every core unless ``workers``); ``source`` names the config in the
    problems of one the engine refuses. ``JOST_DEBUG`` lets the engine's own failures through."""
    if cancel is None:
        cancel = threading.Event()
    try:
        result = run_simulation_from_config(
            config, progress=progress, workers=workers, cancel=cancel, status=status
        )
    except ConfigError as exc:
        raise JostError(config_error_text(exc, source)) from None
    except SimulationCancelled:
        raise RunStopped("cancelled") from None
    except KeyboardInterrupt:
        cancel.set()
        raise RunStopped("interrupted") from None
    except Exception as exc:
        if os.environ.get("JOST_DEBUG"):
            raise
        raise RunFailed(exc) from None
    return Outcome(result.to_dict())


def run_on_service(
    config: Config,
    *,
    progress: Progress | None = None,
    note: Line | None = None,
    cancel: threading.Event | None = None,
    login: Login | None = None,
    poll_s: float = 0.5,
) -> Outcome:
    """Submit to the service (``login``, or `require_login`), follow the job, fetch its result.

    The submission carries an Idempotency-Key, so asking again (after a Ctrl-C during the
    request) answers with the job the first request made, never a second job. When ``cancel``
    is set the job is cancelled on the service (`RunStopped`); on Ctrl-C it is left running
    (`StillRunning`, whose ``cancel()`` cancels it).
    """
    login = login or require_login()
    with ServiceClient(login.url, login.token) as client:
        document, key = config.model_dump(mode="json"), str(uuid.uuid4())
        interrupted = False
        try:
            submitted = client.submit(document, idempotency_key=key)
        except KeyboardInterrupt:
            submitted, interrupted = client.submit(document, idempotency_key=key), True
        job = str(submitted["job_id"])
        if note is not None:
            note(f"submitted job {job} to {login.url}")

        def on_progress(done: int, total: int, state: str) -> None:
            if cancel is not None and cancel.is_set():
                client.cancel(job)
                raise RunStopped(f"cancelled job {job} on the service", job)
            if progress is not None:
                progress(done, total)

        try:
            if interrupted:
                raise KeyboardInterrupt
            result = client.follow(job, on_progress, poll_s=poll_s)
        except KeyboardInterrupt:
            raise StillRunning(job, login) from None
    return Outcome(result, login.url, job)


def keep(config: Config, outcome: Outcome) -> str | None:
    """Keep a finished run in the history; the warning to show when it could not be kept."""
    try:
        history.record(
            config.model_dump(mode="json"), outcome.result, where=outcome.where, job_id=outcome.job
        )
    except OSError as exc:
        return f"the run was not kept in the history: {exc}"
    return None
