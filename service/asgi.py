"""ASGI entry point: the Django HTTP app and the live-progress WebSockets on one port.

Served by Gunicorn with Uvicorn workers (see the Procfile and ``service.runner``).

HTTP requests go to Django's WSGI handler on a fixed pool of ``JOST_WEB_THREADS`` threads
(a2wsgi), not to Django's ASGI handler: every view here is synchronous, and the ASGI handler
runs each synchronous request in a thread started for that request, which cost more CPU than
the submit itself and put the submit p99 far over its target at 200 requests/s (the figures
are in benchmarks/service_load.py's notes). Pool threads keep their persistent database
connections between requests. WebSockets stay on Channels' asynchronous consumers.
"""

import os

from a2wsgi import WSGIMiddleware
from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "service.settings")

# Django is set up by this call; everything that imports models comes after it.
http_application = WSGIMiddleware(get_wsgi_application(), workers=settings.JOST_WEB_THREADS)

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from service.live.auth import JobSocketAuth  # noqa: E402
from service.live.routing import websocket_urlpatterns  # noqa: E402
from service.warmup import warm_web_process  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": http_application,
        "websocket": JobSocketAuth(URLRouter(websocket_urlpatterns)),
    }
)
warm_web_process()
