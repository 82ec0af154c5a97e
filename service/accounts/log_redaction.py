"""Secrets never reach a log: ``token=KEY`` in a logged URL becomes ``token=[redacted]``.

Browsers cannot set headers on a WebSocket, so the live-progress socket takes its API token in
the query string, which every access log writes out. This filter, on the access loggers of
Gunicorn and Uvicorn (gunicorn.conf.py) and on Django's own request loggers (service.settings),
rewrites the message and its arguments before any handler sees them. No Django imports: the
web server's config loads it before Django is set up.
"""

from __future__ import annotations

import logging
import re
from typing import Any

# token=, key=, password= ... in a query string, and an Authorization header's value
_SECRET = re.compile(r"(?i)\b((?:access_)?token|key|password|api_key)=([^&\s\"']+)")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """``text`` with every secret-looking query parameter's value replaced."""
    return _SECRET.sub(lambda m: f"{m.group(1)}={REDACTED}", text)


def _clean(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class RedactSecrets(logging.Filter):
    """A logging filter that redacts secrets in a record's message and arguments (keeps all)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _clean(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_clean(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _clean(v) for k, v in record.args.items()}
        return True


def redact_loggers(*names: str) -> None:
    """Put the filter on these loggers (idempotent)."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
