"""A JSON file the player named (a saved config, a result), read with errors that name it.

The JSON itself is read by the engine's one reader (`jost_engine.json_text.read_json`); this
adds what goes wrong before it: a missing file, a folder, a file that cannot be read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jost_engine.json_text import JSONTextError, read_json
from user_terminal.errors import JostError


def read_json_file(path: Path, what: str) -> Any:
    """The JSON value in ``path``; `JostError` says what is wrong with the ``what`` ("config
    file") at ``path``: not there, a folder, unreadable, not UTF-8, not JSON."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise JostError(f"{what} not found: {path}") from None
    except IsADirectoryError:
        raise JostError(f"cannot read {what} {path}: it is a directory") from None
    except OSError as exc:
        raise JostError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    try:
        return read_json(data, str(path))
    except JSONTextError as exc:
        raise JostError(str(exc)) from None
