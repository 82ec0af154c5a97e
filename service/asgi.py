"""ASGI entry point: Django's HTTP app and the live-progress WebSockets on one port.

Served by Gunicorn with Uvicorn workers (see the Procfile and ``service.runner``).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "service.settings")

# Django is set up by this call; everything that imports models comes after it.
http_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from service.live.auth import JobSocketAuth  # noqa: E402
from service.live.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": http_application,
        "websocket": JobSocketAuth(URLRouter(websocket_urlpatterns)),
    }
)
