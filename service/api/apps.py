from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The machine API: JSON endpoints over the simulator's services and selectors."""

    name = "service.api"
    label = "api"
    verbose_name = "JOST API"

    def ready(self) -> None:
        # imported here, not above: authentication imports the token model, loaded only now
        from service.api.authentication import connect_signals

        connect_signals()
