"""HTTP under ASGI: each request read on the event loop, then run whole on a pool thread.

The service's views are all synchronous Django. Django's own ASGI handler runs each one in a
thread started for that request; a2wsgi's adapter crosses between the loop and its thread four
or five times a request (each body read, the response start, each chunk, the end), every
crossing a wake-up of both sides. Here a request crosses once each way: the body is read on
the loop (bounded: a body over ``JOST_MAX_BODY_BYTES`` is not read, and Django's
`BodySizeLimitMiddleware` answers 413), the WSGI app runs on a fixed pool of threads (each
keeps its database connection) and returns the status, headers and body, and the loop sends
them. Responses are buffered whole, which is right for this API's JSON documents and the
workbench's one stylesheet; nothing here streams.
"""

from __future__ import annotations

import asyncio
import io
import logging
import sys
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

logger = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class PooledWSGI:
    """An ASGI app (``http`` scopes) serving a WSGI app on ``threads`` pool threads."""

    def __init__(
        self,
        app: WSGIApp,
        *,
        threads: int,
        max_body: int,
        on_startup: Callable[[], None] | None = None,
        thread_setup: Callable[[], None] | None = None,
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.threads = threads
        self.on_startup = on_startup
        self.thread_setup = thread_setup
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="http")

    async def lifespan(self, receive: Any, send: Any) -> None:
        """ASGI lifespan: the server's start runs ``on_startup`` and primes the pool threads
        before the first request (never at import, so importing the app does nothing)."""
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                loop = asyncio.get_running_loop()
                if self.on_startup is not None:
                    await loop.run_in_executor(None, self.on_startup)
                if self.thread_setup is not None:
                    await loop.run_in_executor(None, self.prime, self.thread_setup)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.pool.shutdown(wait=True)
                await send({"type": "lifespan.shutdown.complete"})
                return

    def prime(self, setup: Callable[[], None]) -> None:
        """Start every pool thread now and run ``setup`` once on each (e.g. open its database
        connection), so the first requests do not pay for it. Best effort: a failure is logged
        and the thread sets itself up on its first request instead."""
        barrier = threading.Barrier(self.threads)

        def run() -> None:
            barrier.wait(timeout=30)  # holds each task on a thread of its own
            try:
                setup()
            except Exception:
                logger.warning("could not prime an HTTP thread", exc_info=True)

        for started in [self.pool.submit(run) for _ in range(self.threads)]:
            started.result()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
            return
        if scope["type"] != "http":
            raise ValueError(f"PooledWSGI serves HTTP, not {scope['type']!r}")
        body = await self._read_body(scope, receive)
        if body is None:
            return  # the client left before its body was whole: nothing to answer or to run
        environ = _environ(scope, body)
        loop = asyncio.get_running_loop()
        status, headers, chunks = await loop.run_in_executor(self.pool, self._run, environ)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"".join(chunks)})

    async def _read_body(self, scope: dict[str, Any], receive: Any) -> bytes | None:
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            return b""  # refused by BodySizeLimitMiddleware from the header alone
        parts: list[bytes] = []
        kept = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            if kept <= self.max_body:  # the chunk that crosses the limit is kept: it is refused
                part = message.get("body", b"")
                parts.append(part)
                kept += len(part)
            if not message.get("more_body"):
                break
        return b"".join(parts)

    def _run(self, environ: dict[str, Any]) -> tuple[int, list[tuple[bytes, bytes]], list[bytes]]:
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None):
            started[:] = [status, headers]
            return lambda data: chunks.append(data)

        chunks: list[bytes] = []
        result = self.app(environ, start_response)
        try:
            chunks.extend(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()  # Django's request_finished: connections go back here, in this thread
        status, headers = started
        encoded = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
        return int(status.split(" ", 1)[0]), encoded, chunks


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _environ(scope: dict[str, Any], body: bytes) -> dict[str, Any]:
    """The WSGI environ of an ASGI HTTP scope (PEP 3333)."""
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("", 0)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": scope.get("root_path", "").encode("utf8").decode("latin1"),
        "PATH_INFO": scope["path"].encode("utf8").decode("latin1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1]) if server[1] is not None else "80",
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": client[0],
        "REMOTE_PORT": str(client[1]),
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for raw_name, raw_value in scope.get("headers", ()):
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        if name == "CONTENT_LENGTH":
            # the declared length stays visible to the 413 check even when the body was not read
            environ["CONTENT_LENGTH"] = value
            continue
        key = "CONTENT_TYPE" if name == "CONTENT_TYPE" else f"HTTP_{name}"
        if key in environ:  # a repeated header: one value, as a WSGI server joins them
            value = environ[key] + ("; " if key == "HTTP_COOKIE" else ",") + value
        environ[key] = value
    return environ
