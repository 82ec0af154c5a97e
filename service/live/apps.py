from django.apps import AppConfig


class LiveConfig(AppConfig):
    """Live progress over WebSockets (Channels) and a job's event log over HTTP."""

    name = "service.live"
    label = "live"
    verbose_name = "JOST live progress"
