"""Asking the player, only when there is a player: never block a script on a question."""

from __future__ import annotations

import sys

import click
import typer


def interactive() -> bool:
    return sys.stdin.isatty()


def ask(question: str, default: bool = False) -> bool:
    """A yes/no question on stderr; a closed stdin or Ctrl-C answers no."""
    try:
        return typer.confirm(question, default=default, err=True)
    except (click.exceptions.Abort, EOFError, KeyboardInterrupt):
        return False


def may_overwrite(what: str, force: bool) -> bool:
    """True when ``what`` may be replaced: ``--force``, or the player said yes."""
    if force:
        return True
    return interactive() and ask(f"{what} exists. Replace it?")
