from django.contrib import admin

from service.accounts.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Staff can see who holds tokens and revoke one (delete); keys are never shown (not kept)."""

    list_display = ("user", "created_at", "expires_at")
    list_filter = ("expires_at",)
    search_fields = ("user__username",)
    readonly_fields = ("user", "created_at")

    def has_add_permission(self, request: object) -> bool:
        return False  # a key is shown once, to its owner: `jost login` or manage.py jost_token
