"""Broker transports: the embedded file-system one made safe, and Redis made cheaper to publish on.

kombu's file-system transport creates a message file and then writes it, so a worker polling
the folder can take a file that is still empty; and it moves a taken file to the system temp
folder, which is a copy (not an atomic rename) when that folder is on another disk. Here a
message is written under a temporary name and renamed into the queue, and a reader claims a
file by renaming it inside the queue folder: exactly one process gets each message, whole.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from queue import Empty
from time import monotonic
from typing import Any

from kombu.transport import filesystem, redis
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads


class AtomicFilesystemChannel(filesystem.Channel):
    """A file-system channel whose put and get are atomic renames."""

    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:
        name = f"{round(monotonic() * 1000):015d}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        temporary = final + ".writing"
        with open(temporary, "wb") as f:
            f.write(str_to_bytes(dumps(payload)))
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, final)

    def _get(self, queue: str) -> Any:
        wanted = f"{queue}.msg"
        folder = self.data_folder_in
        for name in sorted(os.listdir(folder)):
            if name.partition(".")[2] != wanted:
                continue
            path = os.path.join(folder, name)
            claimed = f"{path}.taken-{os.getpid()}-{uuid.uuid4().hex}"
            try:
                os.rename(path, claimed)  # atomic: only one process wins this file
            except OSError:
                continue
            try:
                with open(claimed, "rb") as f:
                    payload = f.read()
            finally:
                os.unlink(claimed)
            return loads(bytes_to_str(payload))
        raise Empty()


class AtomicFilesystemTransport(filesystem.Transport):
    """kombu's file-system transport with `AtomicFilesystemChannel`."""

    Channel = AtomicFilesystemChannel


class ReusingRedisChannel(redis.Channel):
    """kombu's Redis channel, sending every command through one client.

    kombu builds a new ``redis.Redis`` for each message it publishes (filling its table of
    response callbacks each time, a large part of the publish: docs/operations.md, "Submit
    latency"). The client is
    thread-safe and draws connections from the channel's pool, so one serves every publish.
    """

    _shared_client: Any = None

    @contextmanager
    def conn_or_acquire(self, client: Any = None) -> Iterator[Any]:
        if client:
            yield client
            return
        if self._shared_client is None:
            self._shared_client = self._create_client()
        yield self._shared_client

    def close(self) -> None:
        self._shared_client = None
        super().close()


class ReusingRedisTransport(redis.Transport):
    """kombu's Redis transport with `ReusingRedisChannel`."""

    Channel = ReusingRedisChannel
