from django.apps import AppConfig

from service.simulator import signals


class StudiesConfig(AppConfig):
    """Studies: many games at once, each point a job of the simulator's ledger."""

    name = "service.studies"
    label = "studies"
    verbose_name = "JOST studies"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # imported here, not above: `scheduling` reads the models, which are loaded only now
        from service.studies import scheduling

        signals.job_event_recorded.connect(
            scheduling.job_event_recorded, dispatch_uid="studies.job_event_recorded"
        )
        signals.jobs_reaped.connect(scheduling.jobs_reaped, dispatch_uid="studies.jobs_reaped")
