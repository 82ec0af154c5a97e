"""WSGI entry point (Gunicorn: ``gunicorn service.wsgi:application``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "service.settings")

application = get_wsgi_application()

from service.warmup import warm_web_process  # noqa: E402

warm_web_process()
