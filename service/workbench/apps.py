from django.apps import AppConfig


class WorkbenchConfig(AppConfig):
    """Internal tool for testing and diagnosing the job pipeline (Django templates)."""

    name = "service.workbench"
    label = "workbench"
    verbose_name = "JOST developer workbench"
