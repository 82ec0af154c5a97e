"""Past runs, kept locally: one JSON file per run with its config and its result.

``<home>/history/<UTC time>-<digest>.json`` = ``{"at", "where", "job_id", "config", "result"}``;
``where`` is "local" or the service's URL. The files are also valid input to `jost compare` and
`jost chart`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
