"""Counters every process of the embedded service shares: a Django cache in one SQLite file.

The embedded stack (``jost serve``: no Redis) runs two web processes, and a local-memory cache
would give each its own throttle counts, letting through up to twice the documented rate. This
backend keeps integer counters in ``<JOST_DATA_DIR>/service/tally.sqlite3``; ``count`` is one
``INSERT … ON CONFLICT DO UPDATE … RETURNING`` (atomic across processes, SQLite ≥ 3.35), so the
counts are exact. It holds counters only (throttles, login attempts): ``set`` takes integers.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache

_SCHEMA = "CREATE TABLE IF NOT EXISTS tally (key TEXT PRIMARY KEY, n INTEGER, expires REAL)"
_PRUNE_ONE_IN = 500


def _set_up(conn: sqlite3.Connection, tries: int = 50) -> None:
    """WAL mode and the table. Switching a new file to WAL takes a lock that SQLite does not
    wait for (its busy timeout does not apply), so two processes opening the file at once can
    see "database is locked" here: try again for up to a second."""
    for attempt in range(tries):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=OFF")  # counters: losing the last ones is fine
            conn.execute(_SCHEMA)
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == tries - 1:
                raise
            time.sleep(0.02)


class SQLiteTallyCache(BaseCache):
    """Integer counters with expiry in one SQLite file, shared by every process of a machine."""

    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)
        self._path = location
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self._path, timeout=10, isolation_level=None)
            _set_up(conn)
            self._local.conn = conn
        return conn

    def _expires(self, timeout: Any) -> float:
        seconds = self.get_backend_timeout(timeout)
        return float("inf") if seconds is None else float(seconds)

    def count(self, key: str, ttl: int) -> int:
        """Add one to ``key`` (a new counter lives ``ttl`` seconds); the new count."""
        now = time.time()
        db = self._db()
        if random.randrange(_PRUNE_ONE_IN) == 0:
            db.execute("DELETE FROM tally WHERE expires < ?", (now,))
        row = db.execute(
            "INSERT INTO tally (key, n, expires) VALUES (?, 1, ?) ON CONFLICT (key) DO UPDATE SET"
            " n = CASE WHEN expires < ? THEN 1 ELSE n + 1 END,"
            " expires = CASE WHEN expires < ? THEN excluded.expires ELSE expires END"
            " RETURNING n",
            (self.make_and_validate_key(key), now + ttl, now, now),
        ).fetchone()
        return int(row[0])

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        row = (
            self._db()
            .execute(
                "SELECT n FROM tally WHERE key = ? AND expires >= ?",
                (self.make_and_validate_key(key, version), time.time()),
            )
            .fetchone()
        )
        return default if row is None else row[0]

    def set(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        self._db().execute(
            "INSERT OR REPLACE INTO tally (key, n, expires) VALUES (?, ?, ?)",
            (self.make_and_validate_key(key, version), int(value), self._expires(timeout)),
        )

    def add(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        full = self.make_and_validate_key(key, version)
        db = self._db()
        db.execute("DELETE FROM tally WHERE key = ? AND expires < ?", (full, time.time()))
        cursor = db.execute(
            "INSERT OR IGNORE INTO tally (key, n, expires) VALUES (?, ?, ?)",
            (full, int(value), self._expires(timeout)),
        )
        return cursor.rowcount == 1

    def incr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        row = (
            self._db()
            .execute(
                "UPDATE tally SET n = n + ? WHERE key = ? AND expires >= ? RETURNING n",
                (delta, self.make_and_validate_key(key, version), time.time()),
            )
            .fetchone()
        )
        if row is None:
            raise ValueError(f"Key '{key}' not found")
        return int(row[0])

    def touch(self, key: str, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        cursor = self._db().execute(
            "UPDATE tally SET expires = ? WHERE key = ?",
            (self._expires(timeout), self.make_and_validate_key(key, version)),
        )
        return cursor.rowcount == 1

    def delete(self, key: str, version: int | None = None) -> bool:
        cursor = self._db().execute(
            "DELETE FROM tally WHERE key = ?", (self.make_and_validate_key(key, version),)
        )
        return cursor.rowcount == 1

    def has_key(self, key: str, version: int | None = None) -> bool:
        return self.get(key, None, version) is not None

    def clear(self) -> None:
        self._db().execute("DELETE FROM tally")
