"""Editing a trial in the admin: the form with every part inline, saved in one transaction with
one history entry, and a stale form refused (no lost edits)."""

from django.contrib import messages
from django.http import HttpResponseRedirect

from curation.admin.inlines import (
    InterventionInline,
    OutcomeInline,
    RegistryIdInline,
    SiteInline,
    SourceInline,
    TrialPublicationInline,
)
from curation.forms import TrialAdminForm
from trials import services
from trials.models import Trial


class EditingMixin:
    form = TrialAdminForm
    # Workflow moves only through the workflow steps, which check permissions on the server:
    # a crafted POST with workflow=published changes nothing.
    readonly_fields = [
        "review_log",
        "workflow",
        "edited_since_review",
        "last_verified",
        "published_at",
        "created_by",
        "reviewed_by",
        "created_at",
        "updated_at",
    ]
    inlines = [
        RegistryIdInline,
        InterventionInline,
        OutcomeInline,
        SiteInline,
        SourceInline,
        TrialPublicationInline,
    ]
    fieldsets = [
        (
            None,
            {"fields": ["title", ("acronym", "slug"), ("listing_type", "pay_to_participate")]},
        ),
        ("For patients", {"fields": ["summary", "participants", "conditions"]}),
        (
            "Design",
            {
                "fields": [
                    ("phase", "status"),
                    ("status_checked", "status_checked_precision", "status_source"),
                    ("allocation", "masking", "control"),
                    "design_notes",
                    ("target_enrollment", "actual_enrollment"),
                    ("follow_up_months", "follow_up_detail"),
                ]
            },
        ),
        (
            "Dates",
            {
                "fields": [
                    ("start_date", "start_date_precision"),
                    ("primary_completion_date", "primary_completion_date_precision"),
                    ("completion_date", "completion_date_precision"),
                ]
            },
        ),
        (
            "Who can take part",
            {
                "description": "Only what a source states plainly; leave the rest empty "
                "(the public pages then say “not stated”).",
                "fields": [
                    ("age_min_months", "age_max_months", "sex"),
                    ("edss_min", "edss_max"),
                    ("alsfrs_min", "onset_max_months", "fvc_min_percent"),
                    "eligibility_unmapped",
                ],
            },
        ),
        ("Who", {"fields": ["sponsor", "collaborators"]}),
        (
            "Results and safety",
            {
                "fields": [
                    "has_results",
                    "results_summary",
                    ("serious_adverse_events", "treatment_related_saes", "deaths"),
                    "evidence_notes",
                ]
            },
        ),
        (
            "Curation",
            {
                "fields": [
                    ("workflow", "edited_since_review", "last_verified"),
                    "curator_notes",
                    "review_log",
                    ("created_by", "reviewed_by", "published_at"),
                    ("created_at", "updated_at"),
                ]
            },
        ),
        ("Why this change", {"fields": ["change_reason", "based_on_version"]}),
    ]

    # Saving: the version claimed first (a stale form is refused, see TrialAdminForm), then the
    # trial and inlines, then one history entry with the curator's reason. The whole request
    # runs in the admin's transaction, so a failure anywhere leaves nothing half-saved.
    def save_model(self, request, obj, form, change):
        if change:
            services.trial_claim_version(
                trial=obj, expected_version=form.cleaned_data["based_on_version"]
            )
        else:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change and not (form.has_real_changes() or any(f.has_changed() for f in formsets)):
            services.trials_reindex(trial_ids=[form.instance.pk])
            return
        services.trial_changed(
            trial=form.instance,
            user=request.user,
            reason=form.cleaned_data.get("change_reason") or ("Edited" if change else "Created"),
            created=not change,
            claimed=change,
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except services.StaleEditError:
            # Only when two saves race past the form check (SQLite has no row locks): the
            # form is gone by now, so say so plainly.
            self.message_user(
                request,
                "Someone else saved this trial at the same moment, so your changes were not "
                "saved. This is the current version: make your changes again.",
                messages.ERROR,
            )
            return HttpResponseRedirect(request.get_full_path())

    def delete_model(self, request, obj):
        services.trials_delete(queryset=Trial.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        services.trials_delete(queryset=queryset)
