"""The one kind of failure a player sees: a short message and an exit code, never a traceback.

Library code of the terminal (profiles, hydration, the service client) raises `JostError`; the
CLI prints it as ``jost: message`` on stderr and exits with its code, the TUI shows it in place.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import NoReturn

EXIT_FAILURE = 1  # something unexpected inside the engine
EXIT_BAD_INPUT = 2  # a file, profile, option or config that cannot be used
EXIT_SERVICE = 3  # the service: unreachable, refused the token, failed, or a remote job failed
EXIT_INTERRUPTED = 130  # Ctrl-C


class JostError(Exception):
    """A problem the player can act on; ``str(error)`` is the whole message."""

    def __init__(self, message: str, code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.code = code


def problems_text(heading: str, problems: Iterable[Mapping[str, str]]) -> str:
    """A heading and every ``{"path", "message"}`` problem on its own indented line."""
    problems = list(problems)
    count = len(problems)
    lines = [f"{heading} ({count} problem{'s' if count != 1 else ''}):"]
    for problem in problems:
        lines.append(f"  {problem.get('path') or '(document)'}: {problem.get('message', '')}")
    return "\n".join(lines)


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print a message to stderr (plain text: paths are never re-wrapped) and exit."""
    import typer  # here: the library code that raises `JostError` never needs the CLI's typer

    typer.echo(f"jost: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def reported() -> Iterator[None]:
    """Turn a `JostError` raised inside a command into its message and exit code."""
    try:
        yield
    except JostError as exc:
        fail(str(exc), exc.code)
