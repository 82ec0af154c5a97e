"""ASGI entry point: the Django HTTP app and the live-progress WebSockets on one port.

Served by Gunicorn with Uvicorn workers (see the Procfile and ``service.runner``).

HTTP requests go to Django's WSGI handler on a fixed pool of ``JOST_WEB_THREADS`` threads
(`service.asgi_http`), not to Django's ASGI handler: every view here is synchronous, and the
ASGI handler runs each synchronous request in a thread started for that request, which costs
more CPU than the submit itself and kept the submit p99 over its target (the measurements:
docs/operations.md, "Submit latency"). WebSockets stay on Channels' asynchronous consumers.
"""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.db import connection

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "service.settings")

# Django is set up by this call; everything that imports models comes after it.
_django = get_wsgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from service.asgi_http import PooledWSGI  # noqa: E402
from service.live.auth import JobSocketAuth  # noqa: E402
from service.live.routing import websocket_urlpatterns  # noqa: E402
from service.warmup import warm_web_process  # noqa: E402


def _open_connection() -> None:
    connection.ensure_connection()  # this thread's own (django.db.connection is per thread)


# at the server's start (ASGI lifespan), before the first request: the process warms up and
# every HTTP thread opens its persistent database connection
http_application = PooledWSGI(
    _django,
    threads=settings.JOST_WEB_THREADS,
    max_body=settings.JOST_MAX_BODY_BYTES,
    on_startup=warm_web_process,
    thread_setup=_open_connection,
)
application = ProtocolTypeRouter(
    {
        "http": http_application,
        "lifespan": http_application,
        "websocket": JobSocketAuth(URLRouter(websocket_urlpatterns)),
    }
)
