"""ASGI entry point: Django's HTTP app and the live-progress WebSockets on one port.

Served by Gunicorn with Uvicorn workers (see the Procfile and ``service.runner``).
"""

import os
import warnings

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "service.settings")
# Under ASGI each request runs in a thread of its own, so the web process pools its PostgreSQL
# connections (service.settings); forking workers (Celery's prefork) never do.
os.environ.setdefault("JOST_DB_POOL", "10")

# WhiteNoise hands Django its static files as synchronous iterators, which Django reads in a
# thread under ASGI and warns about on every file; for the workbench's stylesheet that is fine.
warnings.filterwarnings(
    "ignore", message="StreamingHttpResponse must consume synchronous iterators", category=Warning
)

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
