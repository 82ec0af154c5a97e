from django.apps import AppConfig

from service.simulator import signals
from service.studies import signals as study_signals


class LiveConfig(AppConfig):
    """Live progress over WebSockets (Channels) and a job's event log over HTTP."""

    name = "service.live"
    label = "live"
    verbose_name = "JOST live progress"

    def ready(self) -> None:
        # imported here, not above: `publish` reads the job models, which are loaded only now
        from service.live import publish

        signals.job_event_recorded.connect(
            publish.job_event_recorded, dispatch_uid="live.job_event_recorded"
        )
        signals.job_progress_written.connect(
            publish.job_progress_written, dispatch_uid="live.job_progress_written"
        )
        study_signals.study_changed.connect(
            publish.study_changed, dispatch_uid="live.study_changed"
        )
