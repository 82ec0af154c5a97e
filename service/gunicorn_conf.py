"""Gunicorn's settings for the web process (``--config python:service.gunicorn_conf``).

Every way the service starts its web server (the Procfile through service.runner, ``jost
serve``, start-dev.sh, the live tests) passes this module, so they all get:

* no control socket unless ``JOST_CONTROL_SOCKET`` names one: Gunicorn ≥ 25 otherwise has every
  master on the machine claim the same ``~/.gunicorn/gunicorn.ctl``, and ``gunicornc`` would
  steer whichever master came last;
* ``X-Forwarded-*`` believed only from ``JOST_TRUSTED_PROXIES`` (the same list Django uses for
  client addresses, service.accounts.addresses), not Gunicorn's default of any local peer;
* a deadline for a request's headers (``JOST_HEADER_TIMEOUT_S``, service.slow_clients);
* secrets (a WebSocket's ``?token=KEY``) redacted in the access and error logs.

Read before Django is set up: the environment only.
"""

from __future__ import annotations

import os
from typing import Any

from service.accounts.log_redaction import redact_loggers

_control = os.environ.get("JOST_CONTROL_SOCKET", "").strip()
if _control:
    control_socket = _control
else:
    control_socket_disable = True

forwarded_allow_ips = ",".join(
    item.strip() for item in os.environ.get("JOST_TRUSTED_PROXIES", "").split(",") if item.strip()
)
keepalive = 5


def post_worker_init(worker: Any) -> None:
    """In each web process, once the app (and so the validated settings) is loaded."""
    from django.conf import settings

    redact_loggers("uvicorn.access", "uvicorn.error", "gunicorn.access", "gunicorn.error")
    config = getattr(worker, "config", None)  # a Uvicorn worker's server config, not yet loaded
    if config is not None and config.http in ("auto", "httptools"):
        try:
            from service.slow_clients import HeaderTimeoutProtocol
        except ImportError:  # no httptools here: Uvicorn's h11 protocol, without the deadline
            return
        HeaderTimeoutProtocol.header_timeout_s = float(settings.JOST_HEADER_TIMEOUT_S)
        config.http = HeaderTimeoutProtocol
