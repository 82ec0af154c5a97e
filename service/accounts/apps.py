from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Who may use the service: API tokens and login throttling."""

    name = "service.accounts"
    label = "accounts"
    verbose_name = "JOST accounts"
    default_auto_field = "django.db.models.BigAutoField"
