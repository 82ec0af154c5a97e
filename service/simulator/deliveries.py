"""Which messages the broker still holds: how the reaper knows that a PENDING row's message is lost.

Every message is sent with a task id that names its row (`message_id`: ``<job>`` or
``<job>/<shard>``, then a random part), so the reaper can list what is waiting on the queues and
re-send, within ``JOST_PENDING_REDISPATCH_S``, exactly the rows whose message is gone — lost in a
broker restart, or never sent by a web process that died between its commit and the send —
without re-sending the backlog of a busy service.

Held means: waiting on a queue, or taken by a worker less than the window ago (a worker claims
its row within milliseconds of taking the message; one taken earlier by a worker that never
claimed it is as good as lost). A message read between two listings may be missed, and its row
sent once more: a duplicate claims nothing.

Redis and the embedded file-system broker can be listed; any other broker cannot (`held` returns
None), and its rows are re-sent after ``JOST_PENDING_BACKSTOP_S`` only.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Iterable
from typing import Any

import redis
from django.conf import settings

from service.celery_app import app

logger = logging.getLogger(__name__)

# kombu's Redis transport: a queue's lists per priority step, and its hash of unacked messages
_PRIORITY_SEPARATOR = "\x06\x16"
_PRIORITY_STEPS = (0, 3, 6, 9)
_UNACKED, _UNACKED_INDEX = "unacked", "unacked_index"

_clients: dict[str, redis.Redis] = {}


def row_key(args: Iterable[Any]) -> str:
    """The name of a row's messages: its task's arguments joined (``<job>`` or ``<job>/<i>``)."""
    return "/".join(str(arg) for arg in args)


def message_id(args: Iterable[Any]) -> str:
    """A fresh task id naming the row: ``<row key>.<random>``."""
    return f"{row_key(args)}.{uuid.uuid4().hex[:12]}"


def _key_of_payload(payload: Any) -> str | None:
    try:
        task_id = payload["headers"]["id"]
    except (KeyError, TypeError):
        return None
    return str(task_id).rpartition(".")[0] or None


def held(queues: Iterable[str], *, window_s: float) -> set[str] | None:
    """The row keys of every message for ``queues`` the broker holds; None if it cannot tell."""
    url = str(app.conf.broker_url or "")
    try:
        if url.startswith(("redis://", "rediss://")):
            return _held_on_redis(url, tuple(queues), window_s)
        if url.startswith("filesystem://"):
            return _held_in_folder(tuple(queues))
    except (redis.RedisError, OSError) as exc:
        logger.warning("reaper: could not list the broker's messages: %s", exc)
    return None


def _held_on_redis(url: str, queues: tuple[str, ...], window_s: float) -> set[str]:
    client = _clients.get(url)
    if client is None:
        client = _clients[url] = redis.Redis.from_url(
            url, socket_connect_timeout=2, socket_timeout=10
        )
    keys: set[str] = set()
    # the queues first, then the unacked hash: a message moving from one to the other while
    # they are read is then seen in one of them
    with client.pipeline(transaction=False) as pipe:
        for queue in queues:
            for step in _PRIORITY_STEPS:
                pipe.lrange(f"{queue}{_PRIORITY_SEPARATOR}{step}" if step else queue, 0, -1)
        listed = pipe.execute()
    for messages in listed:
        for raw in messages:
            _add(keys, _loads(raw))
    recent = time.time() - window_s
    index = client.zrange(_UNACKED_INDEX, 0, -1, withscores=True)
    taken = {tag for tag, at in index if at > recent}
    if taken:
        wanted = set(queues)
        for tag, raw in client.hgetall(_UNACKED).items():
            entry = _loads(raw)  # [payload, exchange, routing key]
            if tag in taken and isinstance(entry, list) and len(entry) == 3 and entry[2] in wanted:
                _add(keys, entry[0])
    return keys


def _held_in_folder(queues: tuple[str, ...]) -> set[str]:
    folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]
    suffixes = tuple(f".{queue}.msg" for queue in queues)
    keys: set[str] = set()
    for name in os.listdir(folder):
        if not name.endswith(suffixes):
            continue
        try:
            with open(os.path.join(folder, name), "rb") as f:
                _add(keys, _loads(f.read()))
        except OSError:  # taken by a worker meanwhile
            continue
    return keys


def _loads(raw: bytes | str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _add(keys: set[str], payload: Any) -> None:
    key = _key_of_payload(payload)
    if key is not None:
        keys.add(key)
