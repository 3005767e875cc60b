"""The registry sync in the admin: saved searches that curators keep, and the runs (read-only,
with their per-study summary). The admin index shows when the last successful sync ran."""

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from trials.models import SavedSearch, SyncRun


@admin.register(SavedSearch)
class SavedSearchAdmin(admin.ModelAdmin):
    list_display = ["name", "enabled", "condition", "intervention", "term", "synced_until"]
    list_editable = ["enabled"]
    list_filter = ["enabled"]
    search_fields = ["name", "condition", "intervention", "term", "description"]
    fields = [
        "name",
        "description",
        "enabled",
        "condition",
        "intervention",
        "term",
        "advanced",
        "synced_until",
    ]
    readonly_fields = ["synced_until"]


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "started_at",
        "duration",
        "pages",
        "seen",
        "created",
        "updated",
        "waiting",
        "unchanged",
        "skipped",
        "errors",
    ]
    list_filter = ["kind", "outcome"]
    date_hierarchy = "started_at"
    fields = [
        ("kind", "outcome"),
        ("started_at", "finished_at", "heartbeat_at"),
        "query",
        ("pages", "seen", "created", "updated", "waiting", "unchanged", "skipped", "errors"),
        "refreshed_catalogue",
        "message",
        "per_study",
    ]
    readonly_fields = [name for row in fields for name in ((row,) if isinstance(row, str) else row)]

    # Runs are written by the sync commands only.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Duration")
    def duration(self, obj):
        if obj.finished_at is None:
            return "running"
        return f"{(obj.finished_at - obj.started_at).total_seconds():.0f} s"

    @admin.display(description="Per study")
    def per_study(self, obj):
        return format_html(
            '<ul class="sync-summary">{}</ul>',
            format_html_join("", "<li>{}</li>", ((line,) for line in obj.summary)),
        )
