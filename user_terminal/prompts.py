"""Asking the player, only when there is a player: never block a script on a question."""

from __future__ import annotations

import sys


def interactive() -> bool:
    return sys.stdin.isatty()


def ask(question: str, default: bool = False) -> bool:
    """A yes/no question on stderr (stdout stays clean for --json); EOF or Ctrl-C answers no."""
    sys.stderr.write(f"{question} {'[Y/n]' if default else '[y/N]'} ")
    sys.stderr.flush()
    try:
        answer = sys.stdin.readline()
    except (KeyboardInterrupt, OSError, ValueError):
        return False
    if not answer:
        return False
    answer = answer.strip().lower()
    return default if not answer else answer in {"y", "yes"}


def may_overwrite(what: str, force: bool) -> bool:
    """True when ``what`` may be replaced: ``--force``, or the player said yes."""
    if force:
        return True
    return interactive() and ask(f"{what} exists. Replace it?")
