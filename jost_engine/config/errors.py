"""`ConfigError`: every problem of an invalid config, each with its JSON path.

A leaf of the config package (the models raise it, the parser raises it, callers catch it),
with `show`, the one rendering of a user's value inside a message.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


class ConfigError(ValueError):
    """An invalid config; ``problems`` lists every problem as ``{"path", "message"}``."""

    def __init__(self, problems: list[dict[str, str]] | str) -> None:
        if isinstance(problems, str):
            problems = [{"path": "", "message": problems}]
        self.problems: list[dict[str, str]] = [dict(p) for p in problems] or [
            {"path": "", "message": "invalid config"}
        ]
        super().__init__(self._text())

    def _text(self) -> str:
        count = len(self.problems)
        lines = [f"invalid config ({count} problem{'s' if count != 1 else ''}):"]
        for problem in self.problems:
            where = problem["path"] or "(document)"
            lines.append(f"  {where}: {problem['message']}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._text()

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep the problems when the error is pickled (task queues do that).
        return (type(self), (self.problems,))


def show(value: object) -> str:
    """A short, JSON-flavoured rendering of a user's value for an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if abs(value) < 10**30 else "a number too large to use"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return json.dumps(text, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return f"a {type(value).__name__}"
