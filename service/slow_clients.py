"""A client gets ``JOST_HEADER_TIMEOUT_S`` seconds to send a request's headers, then is cut off.

Uvicorn times out an idle keep-alive connection, but not one that opens and then sends its
headers a byte at a time: a few hundred such clients hold every connection slot (slowloris).
This protocol (Uvicorn's httptools one, installed by service.gunicorn_conf) starts a timer when a
connection opens and when each request begins, stops it once the headers are complete, and
closes the connection when it fires. Request bodies are not timed here (their size is capped).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """`HttpToolsProtocol` that closes a connection whose headers are not in on time."""

    header_timeout_s = 10.0
    _head_timer: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        self._disarm()
        self._head_timer = self.loop.call_later(self.header_timeout_s, self._too_slow)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _too_slow(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)
