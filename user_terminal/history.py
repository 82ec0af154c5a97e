"""Past runs, kept locally: one JSON file per run with its config and its result.

``<home>/history/<UTC time>-<digest>.json`` = ``{"at", "where", "job_id", "config", "result"}``;
``where`` is "local" or the service's URL. A run's id is its file's name without ``.json``; a
result is named (`jost compare`, `jost chart`, `jost history show`) by a file's path, a run's id,
any unique start of one, or ``last`` (the newest run).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from user_terminal.errors import JostError
from user_terminal.home import history_dir, write_atomic


@dataclass(frozen=True)
class Run:
    """One past run as listed."""

    path: Path
    at: str
    where: str
    name: str
    rounds: int
    ev: float | None
    job_id: str | None

    @property
    def run_id(self) -> str:
        return self.path.stem


def record(
    config: Mapping[str, Any],
    result: Mapping[str, Any],
    *,
    where: str = "local",
    job_id: str | None = None,
) -> Path:
    """Keep a finished run; returns its file."""
    now = datetime.now(UTC)
    digest = str(result.get("config_digest") or "")[:8] or "run"
    path = history_dir() / f"{now:%Y%m%dT%H%M%S%f}-{digest}.json"
    document = {
        "at": now.isoformat(timespec="seconds"),
        "where": where,
        "job_id": job_id,
        "config": dict(config),
        "result": dict(result),
    }
    write_atomic(path, json.dumps(document, ensure_ascii=False) + "\n")
    return path


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def runs(limit: int = 200) -> list[Run]:
    """The newest runs first; files that cannot be read are skipped."""
    folder = history_dir()
    if not folder.is_dir():
        return []
    found: list[Run] = []
    for path in sorted(folder.glob("*.json"), reverse=True)[:limit]:
        try:
            document = load(path)
            result = document["result"]
            found.append(
                Run(
                    path=path,
                    at=str(document.get("at", "")),
                    where=str(document.get("where", "local")),
                    name=str(document.get("config", {}).get("name", "")),
                    rounds=int(result.get("rounds", 0)),
                    ev=(result.get("ev_per_initial_bet") or {}).get("mean"),
                    job_id=document.get("job_id"),
                )
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
    return found


def config_of_job(job_id: str) -> dict[str, Any] | None:
    """The config this terminal submitted as a remote job, when it kept the run."""
    for run in runs():
        if run.job_id == job_id:
            return load(run.path).get("config")
    return None


def run_path(reference: str) -> Path:
    """The file a result reference names: an existing file, ``last``, a run's id or a unique
    start of one; anything else is refused naming what exists."""
    given = Path(reference).expanduser()
    if given.is_file():
        return given
    folder = history_dir()
    kept = sorted(folder.glob("*.json"), reverse=True) if folder.is_dir() else []
    if reference == "last":
        if not kept:
            raise JostError("no kept runs yet: `jost run` keeps every run it finishes")
        return kept[0]
    matches = [path for path in kept if path.stem.startswith(reference)] if reference else []
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        shown = ", ".join(p.stem for p in matches[:3]) + (", ..." if len(matches) > 3 else "")
        raise JostError(f"{len(matches)} kept runs start with {reference!r}: {shown}")
    raise JostError(
        f"{reference}: not found (no such file, and no kept run has that id: `jost history list`)"
    )
