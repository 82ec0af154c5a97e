"""Reading a result from a file: a result document (`jost run --json`) or a kept run (history).

Used by `jost compare` and `jost chart`; every problem names the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from user_terminal.errors import JostError
from user_terminal.json_files import read_json_file

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
    document = read_json_file(path, "result file")
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
