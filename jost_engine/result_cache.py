"""The result cache: a game run before is not simulated again.

Seeds are fixed, so a result is a function of the fully hydrated config (seed and rounds
included) and of the engine that played it; the key is the SHA-256 of both, and a result of
another engine version never matches. `ResultCache` is what a study needs of a cache (the
service keeps one in its database); `DiskResultCache` is the local one, one JSON file per key.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

from jost_engine.analysis.chart_cache import cache_dir
from jost_engine.config import Config, canonical_json, parse_config
from jost_engine.version import ENGINE_VERSION


def point_cache_key(config: Config | dict[str, Any], engine_version: str = ENGINE_VERSION) -> str:
    """SHA-256 (hex) of the engine version and the canonical JSON of the hydrated config."""
    text = f"jost-result:{engine_version}:{canonical_json(parse_config(config))}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ResultCache(Protocol):
    """Result documents by key (`point_cache_key`); ``get`` answers None when it has none."""

    def get(self, key: str) -> dict[str, Any] | None: ...

    def put(self, key: str, result: dict[str, Any]) -> None: ...


def default_cache_folder() -> Path:
    """``results`` in the engine's cache folder (``$JOST_CACHE_DIR``, else the user's)."""
    return cache_dir() / "results"


class DiskResultCache:
    """One ``<key>.json`` per result in a folder; a file that cannot be read is a miss."""

    def __init__(self, folder: Path | str | None = None) -> None:
        self.folder = Path(folder) if folder is not None else default_cache_folder()

    def _file(self, key: str) -> Path:
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            raise ValueError(f"not a result cache key: {key!r}")
        return self.folder / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self._file(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def put(self, key: str, result: dict[str, Any]) -> None:
        """Written to a temporary file then renamed: a reader never sees half a result."""
        target = self._file(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".part")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(result, out, ensure_ascii=False, allow_nan=False)
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
