from django.apps import AppConfig


class SimulatorConfig(AppConfig):
    """The job ledger, its services and the Celery tasks."""

    name = "service.simulator"
    label = "simulator"
    verbose_name = "JOST simulator"
    default_auto_field = "django.db.models.BigAutoField"
