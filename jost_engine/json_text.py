"""JSON text read with errors a person can act on: what is wrong, and where.

Configs, request bodies, profile files, result files and saved configs all arrive as text. Each
caller wraps `JSONTextError` in its own error type (`ConfigError`, an HTTP 400, the terminal's
message), but the reading and the wording live here once.
"""

from __future__ import annotations

import json
from typing import Any


class JSONTextError(ValueError):
    """Text that is not a usable JSON document; ``str(error)`` is the whole message."""


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def read_json(
    data: str | bytes | bytearray | memoryview, subject: str | None = None, *, strict: bool = False
) -> Any:
    """The JSON value in ``data`` (UTF-8 bytes, a BOM allowed, or text).

    ``subject`` names the text in messages ("game.json is not valid JSON: …"); without one they
    start "not valid JSON: …". ``strict`` refuses ``NaN`` and ``Infinity`` here (the API does);
    otherwise they are read and the models refuse them with the field's path. A document nested
    too deeply to read is refused, never a `RecursionError`.
    """
    lead = f"{subject} is not" if subject else "not"
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise JSONTextError(f"{lead} UTF-8 text: {exc.reason} at byte {exc.start}") from None
    else:
        text = data[1:] if data.startswith("\ufeff") else data
    try:
        return json.loads(text, parse_constant=_no_constants) if strict else json.loads(text)
    except json.JSONDecodeError as exc:
        raise JSONTextError(
            f"{lead} valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except (ValueError, RecursionError) as exc:
        detail = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise JSONTextError(f"{lead} usable JSON: {detail}") from None
