"""Reading a result from a file: a result document (`jost run --json`) or a kept run (history).

Used by `jost compare` and `jost chart`; every problem names the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from user_terminal.errors import JostError

REQUIRED = ("rounds", "ev_per_initial_bet", "ev_per_round", "sd_per_round")


@dataclass(frozen=True)
class ResultFile:
    path: Path
    result: dict[str, Any]
    config: dict[str, Any] | None

    @property
    def label(self) -> str:
        name = (self.config or {}).get("name")
        return f"{self.path.name}\n{name}" if name else self.path.name


def read_result(path: Path) -> ResultFile:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise JostError(f"result file not found: {path}") from None
    except IsADirectoryError:
        raise JostError(f"cannot read result file {path}: it is a directory") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise JostError(f"cannot read result file {path}: {exc}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JostError(
            f"{path} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    config = None
    if isinstance(document, dict) and isinstance(document.get("result"), dict):
        config = document.get("config") if isinstance(document.get("config"), dict) else None
        document = document["result"]
    if not isinstance(document, dict):
        raise JostError(f"{path} is not a result document (a JSON object from `jost run --json`)")
    missing = [key for key in REQUIRED if key not in document]
    if missing:
        raise JostError(
            f"{path} is not a result document: it has no {', '.join(missing)} "
            "(save one with `jost run --json > FILE`)"
        )
    return ResultFile(path, document, config)
