"""The HTTP adapter under ASGI: one request read on the loop, run whole on a pool thread."""

from __future__ import annotations

import asyncio
import threading

import pytest

from service.asgi_http import PooledWSGI

EMPTY = {"type": "http.request", "body": b"", "more_body": False}  # a request with no body


class Recorder:
    """A WSGI app that answers with what it saw, and notes where and whether it was closed."""

    def __init__(self) -> None:
        self.environ: dict = {}
        self.closed_in: str | None = None

    def __call__(self, environ, start_response):
        self.environ = environ
        body = environ["wsgi.input"].read()
        start_response("201 Created", [("Content-Type", "text/plain"), ("X-Seen", str(len(body)))])
        recorder = self

        class Result(list):
            def close(self) -> None:
                recorder.closed_in = threading.current_thread().name

        return Result([b"got:", body])


def serve(app, scope: dict, messages: list[dict]) -> list[dict]:
    sent: list[dict] = []
    incoming = list(messages)

    async def receive() -> dict:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def scope(method: str = "POST", headers: list[tuple[bytes, bytes]] | None = None) -> dict:
    return {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": "/api/submit/",
        "root_path": "",
        "query_string": b"a=1&b=%C3%A9",
        "headers": headers or [],
        "server": ("127.0.0.1", 8000),
        "client": ("10.0.0.7", 51234),
    }


def test_a_request_in_chunks_reaches_the_app_whole_and_the_answer_comes_back():
    app = Recorder()
    pooled = PooledWSGI(app, threads=2, max_body=1000)
    sent = serve(
        pooled,
        scope(headers=[(b"content-type", b"application/json"), (b"authorization", b"Token x")]),
        [
            {"type": "http.request", "body": b'{"a":', "more_body": True},
            {"type": "http.request", "body": b"1}", "more_body": False},
        ],
    )
    assert sent[0] == {
        "type": "http.response.start",
        "status": 201,
        "headers": [(b"content-type", b"text/plain"), (b"x-seen", b"7")],
    }
    assert sent[1] == {"type": "http.response.body", "body": b'got:{"a":1}'}
    env = app.environ
    assert (env["REQUEST_METHOD"], env["PATH_INFO"], env["QUERY_STRING"]) == (
        "POST",
        "/api/submit/",
        "a=1&b=%C3%A9",
    )
    assert env["CONTENT_TYPE"] == "application/json" and env["CONTENT_LENGTH"] == "7"
    assert env["HTTP_AUTHORIZATION"] == "Token x"
    assert (env["REMOTE_ADDR"], env["SERVER_NAME"], env["SERVER_PORT"]) == (
        "10.0.0.7",
        "127.0.0.1",
        "8000",
    )
    assert app.closed_in is not None and app.closed_in.startswith("http")  # on a pool thread


def test_repeated_headers_are_joined_as_a_wsgi_server_joins_them():
    app = Recorder()
    headers = [(b"cookie", b"a=1"), (b"cookie", b"b=2"), (b"accept", b"x"), (b"accept", b"y")]
    serve(PooledWSGI(app, threads=1, max_body=10), scope("GET", headers), [EMPTY])
    assert app.environ["HTTP_COOKIE"] == "a=1; b=2"
    assert app.environ["HTTP_ACCEPT"] == "x,y"


def test_a_body_declared_over_the_limit_is_not_read_but_its_length_is_passed_on():
    app = Recorder()
    messages = [{"type": "http.request", "body": b"x" * 50, "more_body": False}]
    headers = [(b"content-length", b"5000")]
    sent = serve(PooledWSGI(app, threads=1, max_body=100), scope(headers=headers), messages)
    assert len(messages) == 1  # never received
    assert app.environ["CONTENT_LENGTH"] == "5000"  # BodySizeLimitMiddleware answers 413 on it
    assert sent[1]["body"] == b"got:"


def test_an_undeclared_body_is_kept_until_it_is_over_the_limit_never_cut_to_fit():
    app = Recorder()
    chunks = [{"type": "http.request", "body": b"y" * 40, "more_body": True} for _ in range(9)]
    chunks.append({"type": "http.request", "body": b"", "more_body": False})
    serve(PooledWSGI(app, threads=1, max_body=100), scope(), chunks)
    assert 100 < int(app.environ["CONTENT_LENGTH"]) <= 140  # over the limit: refused, not kept


def test_only_http_is_served():
    with pytest.raises(ValueError, match="websocket"):
        serve(PooledWSGI(Recorder(), threads=1, max_body=10), {"type": "websocket"}, [])


@pytest.mark.django_db
def test_the_service_answers_through_it(user):
    """The real Django app: a 401 in the service's JSON shape, a 413 from the header alone."""
    from service.asgi import http_application

    jobs = scope("GET") | {"path": "/api/jobs/", "query_string": b""}
    sent = serve(http_application, jobs, [EMPTY])
    assert sent[0]["status"] == 401 and b'"error"' in sent[1]["body"]
    big = [(b"content-length", b"999999999"), (b"content-type", b"application/json")]
    sent = serve(http_application, scope(headers=big), [])
    assert sent[0]["status"] == 413 and b"body_too_large" in sent[1]["body"]


def test_priming_runs_once_on_every_pool_thread_and_survives_a_failure():
    pooled = PooledWSGI(Recorder(), threads=3, max_body=10)
    seen: list[str] = []

    def setup() -> None:
        seen.append(threading.current_thread().name)
        if len(seen) == 2:
            raise ConnectionError("database down")

    pooled.prime(setup)
    assert len(seen) == 3 and len(set(seen)) == 3


def test_the_server_start_warms_up_and_primes_before_it_completes():
    calls: list[str] = []
    pooled = PooledWSGI(
        Recorder(),
        threads=2,
        max_body=10,
        on_startup=lambda: calls.append("warm"),
        thread_setup=lambda: calls.append(threading.current_thread().name),
    )
    sent = serve(
        pooled,
        {"type": "lifespan"},
        [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}],
    )
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert calls[0] == "warm" and len(set(calls[1:])) == 2


def test_a_client_that_leaves_mid_body_runs_nothing():
    app = Recorder()
    partial = [{"type": "http.request", "body": b'{"simulation": {"rounds": 1', "more_body": True}]
    sent = serve(PooledWSGI(app, threads=1, max_body=1000), scope(), partial)
    assert sent == [] and app.environ == {}  # a cut body is never taken for a whole one
