"""Where the terminal keeps the player's things, and the one safe way to write them.

Profiles and run history live in the platform's user data folder, the service login in the user
config folder; ``JOST_HOME`` puts all of it in one folder instead (``$JOST_HOME/config`` for the
login). Every write goes to a temporary file in the same folder and is renamed over the target,
so a crash leaves the old file or the new one, never half of one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import platformdirs

APP = "jost"


def _override() -> Path | None:
    value = os.environ.get("JOST_HOME", "").strip()
    return Path(value).expanduser() if value else None


def data_dir() -> Path:
    """The player's data folder: profiles and history."""
    return _override() or Path(platformdirs.user_data_dir(APP, appauthor=False))


def config_dir() -> Path:
    """The player's settings folder: the service login."""
    home = _override()
    return home / "config" if home else Path(platformdirs.user_config_dir(APP, appauthor=False))


def profiles_dir() -> Path:
    return data_dir() / "profiles"


def history_dir() -> Path:
    return data_dir() / "history"


def write_atomic(path: Path, text: str, *, mode: int = 0o644) -> None:
    """Write ``text`` to ``path`` by write-then-rename, with permissions ``mode``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
