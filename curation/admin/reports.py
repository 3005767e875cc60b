"""The curators' queue of public problem reports .

Reports come only from the public form, so there is no add page. The visitor's words are shown
read-only and escaped like any other value; curators set the status and a private note, and
every status change goes through the services, which record who handled it and when.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from trials import services
from trials.models import ProblemReport


@admin.register(ProblemReport)
class ProblemReportAdmin(admin.ModelAdmin):
    list_display = ["created_at", "trial_link", "excerpt", "status", "handled_by", "handled_at"]
    list_display_links = ["created_at"]
    list_filter = ["status"]
    list_select_related = ["trial", "handled_by"]
    search_fields = ["message", "trial__title", "trial__acronym"]
    date_hierarchy = "created_at"
    actions = ["mark_fixed", "dismiss"]
    fields = [
        "trial_link",
        "public_page",
        "created_at",
        "message",
        "contact",
        "status",
        "curator_note",
        ("handled_by", "handled_at"),
    ]
    readonly_fields = [
        "trial_link",
        "public_page",
        "created_at",
        "message",
        "contact",
        "handled_by",
        "handled_at",
    ]

    def has_add_permission(self, request):
        return False

    @admin.display(description="Trial", ordering="trial__title")
    def trial_link(self, obj):
        url = reverse("admin:trials_trial_change", args=[obj.trial_id])
        return format_html('<a href="{}">{}</a>', url, obj.trial)

    @admin.display(description="Public page")
    def public_page(self, obj):
        return format_html('<a href="{}">{}</a>', obj.trial.get_absolute_url(), obj.trial.slug)

    @admin.display(description="Message")
    def excerpt(self, obj):
        return Truncator(obj.message).chars(80)

    def save_model(self, request, obj, form, change):
        # Status and note through the service: it records who handled the report and when.
        services.problem_report_handle(
            report=obj,
            status=form.cleaned_data["status"],
            user=request.user,
            curator_note=form.cleaned_data["curator_note"],
        )

    def _handle(self, request, queryset, service, done):
        handled = 0
        for report in queryset:
            try:
                service(report=report, user=request.user)
                handled += 1
            except PermissionDenied as error:
                self.message_user(request, str(error), messages.ERROR)
                return
        self.message_user(request, f"{handled} report(s) {done}.", messages.SUCCESS)

    @admin.action(description="Mark selected reports fixed", permissions=["change"])
    def mark_fixed(self, request, queryset):
        self._handle(request, queryset, services.problem_report_mark_fixed, "marked fixed")

    @admin.action(description="Dismiss selected reports (not a problem)", permissions=["change"])
    def dismiss(self, request, queryset):
        self._handle(request, queryset, services.problem_report_dismiss, "dismissed")
