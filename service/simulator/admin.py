from django.contrib import admin

from service.simulator.models import JobShard, SimulationJob, SimulationJobEvent


class EventInline(admin.TabularInline):
    model = SimulationJobEvent
    extra = 0
    readonly_fields = ("at", "kind", "attempt", "message")


class ShardInline(admin.TabularInline):
    model = JobShard
    extra = 0
    fields = ("index", "status", "rounds_done", "rounds_total", "attempts", "worker", "error")
    readonly_fields = fields
    can_delete = False


@admin.register(SimulationJob)
class SimulationJobAdmin(admin.ModelAdmin):
    """Read-mostly: jobs change through the services, never by hand-edited status fields."""

    list_display = ("id", "owner", "name", "status", "rounds_done", "rounds_total", "created_at")
    list_filter = ("status",)
    search_fields = ("id", "name", "owner__username")
    readonly_fields = tuple(f.name for f in SimulationJob._meta.fields)
    inlines = (EventInline, ShardInline)
