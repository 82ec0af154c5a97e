"""Running a config: on this machine with the engine, or on a service with its progress shown.

Both return the result document (CONFIG.md "Result") and raise `JostError` for anything the
player should read: a refused config, a failed or unreachable service, Ctrl-C.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable
from typing import Any

import click

from jost_engine import Config, ConfigError, SimulationCancelled, run_simulation_from_config
from user_terminal.config_files import config_error_text
from user_terminal.credentials import require_login
from user_terminal.errors import EXIT_FAILURE, EXIT_INTERRUPTED, JostError
from user_terminal.progress import progress_bar
from user_terminal.remote import ServiceClient

Ask = Callable[[str], bool]


def run_local(
    config: Config, source: str, *, workers: int | None = None, show_progress: bool = True
) -> dict[str, Any]:
    """Run on this machine (every core unless ``workers``)."""
    cancel = threading.Event()
    try:
        with progress_bar(config.simulation.rounds, show_progress) as update:
            result = run_simulation_from_config(
                config, progress=update, workers=workers, cancel=cancel
            )
    except ConfigError as exc:
        raise JostError(config_error_text(exc, source)) from None
    except (KeyboardInterrupt, SimulationCancelled):
        cancel.set()
        raise JostError("interrupted", EXIT_INTERRUPTED) from None
    except Exception as exc:
        if os.environ.get("JOST_DEBUG"):
            raise
        raise JostError(
            f"the simulation failed: {type(exc).__name__}: {exc} "
            "(set JOST_DEBUG=1 to see the traceback)",
            EXIT_FAILURE,
        ) from None
    return result.to_dict()


def run_remote(
    config: Config,
    *,
    show_progress: bool = True,
    ask: Ask,
    note: Callable[[str], None] = lambda _: None,
    poll_s: float = 0.5,
) -> tuple[dict[str, Any], str, str]:
    """Submit to the configured service, follow the job, fetch its result.

    Returns (result, job id, service URL). On Ctrl-C, ``ask`` decides whether the job is
    cancelled on the service or left running there.
    """
    login = require_login()
    with ServiceClient(login.url, login.token) as client:
        document, key = config.model_dump(mode="json"), str(uuid.uuid4())
        interrupted = False
        try:
            submitted = client.submit(document, idempotency_key=key)
        except KeyboardInterrupt:
            # the same key answers with the job the first request made, if it made one
            submitted, interrupted = client.submit(document, idempotency_key=key), True
        job = str(submitted["job_id"])
        note(f"submitted job {job} to {login.url}")
        try:
            if interrupted:
                raise KeyboardInterrupt
            with progress_bar(config.simulation.rounds, show_progress, "Remote") as update:

                def on_progress(done: int, total: int, status: str) -> None:
                    if update is not None:
                        update(done, total)

                result = client.follow(job, on_progress, poll_s=poll_s)
        except KeyboardInterrupt:
            try:
                cancel = ask(f"cancel job {job} on the service? (no: it keeps running there)")
            except (KeyboardInterrupt, click.exceptions.Abort, EOFError):
                cancel = False
            if cancel:
                client.cancel(job)
                raise JostError(f"interrupted: cancelled job {job}", EXIT_INTERRUPTED) from None
            raise JostError(
                f"interrupted: job {job} keeps running on {login.url}; "
                f"`jost jobs result {job}` fetches its result",
                EXIT_INTERRUPTED,
            ) from None
    return result, job, login.url
