"""The curators' tool. Product code: fast changelists, inlines for every part, clear errors."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from trials import history, services
from trials.admin_forms import RevertForm, TransitionForm, TrialAdminForm
from trials.admin_imports import ris_upload_view  # also registers the registry-record pages
from trials.models import (
    CellType,
    Condition,
    Intervention,
    Organisation,
    Outcome,
    ProblemReport,
    Publication,
    RegistryId,
    ReportStatus,
    Route,
    Site,
    Source,
    Trial,
    TrialPublication,
    Workflow,
)

# The workflow steps curators and reviewers take from the admin, in the order they are offered:
# name → (button label, needs the publish permission, comment required).
WORKFLOW_STEPS = {
    "submit": ("Submit for review", False, False),
    "publish": ("Publish", True, False),
    "send_back": ("Send back to draft", True, True),
    "withdraw": ("Withdraw from the public site", True, False),
    "approve_edits": ("Approve edits made since publication", True, False),
    "mark_verified": ("Mark verified against the sources today", False, False),
}


def run_workflow_step(step: str, trial: Trial, user, comment: str) -> Trial:
    if step in services.TRANSITIONS:
        return services.trial_transition(trial=trial, action=step, user=user, comment=comment)
    if step == "approve_edits":
        return services.trial_approve_edits(trial=trial, user=user, comment=comment)
    return services.trial_mark_verified(trial=trial, user=user, comment=comment)


def available_steps(trial: Trial, user) -> list[str]:
    """The steps that make sense for this trial now and that this user may take."""
    steps = []
    for step, (_, needs_publish, _) in WORKFLOW_STEPS.items():
        if needs_publish and not user.has_perm(services.PUBLISH_PERMISSION):
            continue
        if step in services.TRANSITIONS and trial.workflow not in services.TRANSITIONS[step][0]:
            continue
        if step == "approve_edits" and not (
            trial.workflow == Workflow.PUBLISHED and trial.edited_since_review
        ):
            continue
        steps.append(step)
    return steps


class ReviewQueueFilter(admin.SimpleListFilter):
    """The reviewers' and curators' queue: what is waiting for someone."""

    title = "review queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [
            ("needs_review", "Needs review (submitted, or edited since publication)"),
            ("submitted", "Submitted, waiting for a reviewer"),
            ("edited", "Published, edited since review"),
            ("reports", "Has open problem reports"),
        ]

    def queryset(self, request, queryset):
        open_reports = Exists(
            ProblemReport.objects.filter(trial=OuterRef("pk"), status=ReportStatus.OPEN)
        )
        edited = Q(workflow=Workflow.PUBLISHED, edited_since_review=True)
        match self.value():
            case "needs_review":
                return queryset.filter(Q(workflow=Workflow.IN_REVIEW) | edited)
            case "submitted":
                return queryset.filter(workflow=Workflow.IN_REVIEW)
            case "edited":
                return queryset.filter(edited)
            case "reports":
                return queryset.filter(open_reports)
        return queryset


class RegistryIdInline(admin.TabularInline):
    model = RegistryId
    extra = 0
    min_num = 0


class InterventionInline(admin.StackedInline):
    model = Intervention
    extra = 0
    autocomplete_fields = ["cell_type", "routes"]
    fieldsets = [
        (None, {"fields": [("label", "role", "position"), "description"]}),
        ("Cells", {"fields": [("cell_type", "origin", "tissue_source"), "routes"]}),
        (
            "Dose and schedule",
            {
                "fields": [
                    ("dose_min", "dose_max", "dose_unit"),
                    "dose_detail",
                    ("administrations", "interval"),
                    "co_treatment",
                ]
            },
        ),
    ]


class OutcomeInline(admin.StackedInline):
    model = Outcome
    extra = 0
    fields = [("kind", "position"), "measure", "time_frame", "result", "primary_endpoint_met"]


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0


class SourceInline(admin.TabularInline):
    model = Source
    extra = 0
    fields = ["kind", "title", "url", "accessed_on", "supports"]


class TrialPublicationInline(admin.TabularInline):
    model = TrialPublication
    extra = 0
    autocomplete_fields = ["publication"]
    verbose_name = "publication"
    verbose_name_plural = "publications"


@admin.register(Trial)
class TrialAdmin(admin.ModelAdmin):
    form = TrialAdminForm
    list_display = [
        "display_title",
        "registry_id_list",
        "phase",
        "status",
        "workflow",
        "edited_since_review",
        "last_verified",
        "updated_at",
    ]
    list_display_links = ["display_title"]
    list_select_related = ["sponsor"]
    list_filter = [
        ReviewQueueFilter,
        "workflow",
        "phase",
        "status",
        "listing_type",
        ("conditions", admin.RelatedOnlyFieldListFilter),
        ("interventions__cell_type", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["title", "acronym", "registry_ids__identifier"]
    autocomplete_fields = ["conditions", "sponsor", "collaborators"]
    prepopulated_fields = {"slug": ["acronym"]}
    # Workflow moves only through the actions below, which check permissions on the server:
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
    date_hierarchy = "updated_at"
    inlines = [
        RegistryIdInline,
        InterventionInline,
        OutcomeInline,
        SiteInline,
        SourceInline,
        TrialPublicationInline,
    ]
    actions = ["submit", "publish", "send_back", "withdraw", "approve_edits", "mark_verified"]
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

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("registry_ids", queryset=RegistryId.objects.order_by("registry", "id"))
            )
        )

    def view_on_site(self, obj):
        # Only published trials have a public page; the link would be a 404 otherwise.
        return obj.get_absolute_url() if obj.workflow == Workflow.PUBLISHED else None

    @admin.display(description="Review log")
    def review_log(self, obj):
        """Who moved the trial through review and what they said (why it was sent back)."""
        events = obj.events.select_related("user")[:20] if obj.pk else []
        if not events:
            return "—"
        return format_html(
            "<ul class='review-log'>{}</ul>",
            format_html_join(
                "",
                "<li><strong>{}</strong> by {} on {}{}</li>",
                (
                    (
                        event.get_action_display(),
                        event.user.get_username() if event.user else "system",
                        timezone.localtime(event.created_at).strftime("%d %b %Y %H:%M"),
                        f": {event.comment}" if event.comment else "",
                    )
                    for event in events
                ),
            ),
        )

    @admin.display(description="Trial", ordering="title")
    def display_title(self, obj):
        return str(obj)

    @admin.display(description="Registry ids")
    def registry_id_list(self, obj):
        return ", ".join(r.identifier for r in obj.registry_ids.all())

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

    def change_view(self, request, object_id, form_url="", extra_context=None):
        trial = self.get_object(request, object_id)
        steps = available_steps(trial, request.user) if trial else []
        extra_context = {
            **(extra_context or {}),
            "workflow_steps": [(step, WORKFLOW_STEPS[step][0]) for step in steps],
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_model(self, request, obj):
        services.trials_delete(queryset=Trial.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        services.trials_delete(queryset=queryset)

    def has_publish_permission(self, request):
        return request.user.has_perm(services.PUBLISH_PERMISSION)

    # Workflow pages: each step asks for a comment on a confirmation page (required to send a
    # trial back), then calls the service, which re-checks the permission on the server.
    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/workflow/<str:step>/",
                wrap(self.workflow_view),
                name="trials_trial_workflow",
            ),
            path(
                "<path:object_id>/history/<int:revision_id>/",
                wrap(self.revision_view),
                name="trials_trial_revision",
            ),
            *super().get_urls(),
        ]

    def _workflow_page(self, request, trials, step, form, **context):
        label, _, _ = WORKFLOW_STEPS[step]
        return TemplateResponse(
            request,
            "admin/trials/trial/workflow.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": f"{label}: are you sure?",
                "step": step,
                "step_label": label,
                "trials": trials,
                "form": form,
                **context,
            },
        )

    def _run_steps(self, request, trials, step, comment) -> int:
        done = 0
        for trial in trials:
            try:
                run_workflow_step(step, trial, request.user, comment)
                done += 1
            except (ValidationError, PermissionDenied) as error:
                text = " ".join(getattr(error, "messages", None) or [str(error)])
                self.message_user(request, text, messages.ERROR)
        if done:
            label = WORKFLOW_STEPS[step][0].lower()
            self.message_user(request, f"{label.capitalize()}: {done} trial(s).", messages.SUCCESS)
        return done

    def workflow_view(self, request, object_id, step):
        trial = self.get_object(request, object_id)
        if trial is None or step not in WORKFLOW_STEPS:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, trial):
            raise PermissionDenied
        comment_required = WORKFLOW_STEPS[step][2]
        if request.method == "POST":
            form = TransitionForm(request.POST, comment_required=comment_required)
            if form.is_valid():
                self._run_steps(request, [trial], step, form.cleaned_data["comment"])
                return HttpResponseRedirect(reverse("admin:trials_trial_change", args=[trial.pk]))
        else:
            form = TransitionForm(comment_required=comment_required)
        return self._workflow_page(request, [trial], step, form, single=True)

    def _bulk_step(self, request, queryset, step):
        comment_required = WORKFLOW_STEPS[step][2]
        if request.POST.get("confirmed") == "yes":
            form = TransitionForm(request.POST, comment_required=comment_required)
            if form.is_valid():
                self._run_steps(request, list(queryset), step, form.cleaned_data["comment"])
                return None
        else:
            form = TransitionForm(comment_required=comment_required)
        return self._workflow_page(request, list(queryset), step, form, single=False)

    @admin.action(description="Submit selected trials for review", permissions=["change"])
    def submit(self, request, queryset):
        return self._bulk_step(request, queryset, "submit")

    @admin.action(description="Publish selected trials", permissions=["publish"])
    def publish(self, request, queryset):
        return self._bulk_step(request, queryset, "publish")

    @admin.action(description="Send selected trials back to draft", permissions=["publish"])
    def send_back(self, request, queryset):
        return self._bulk_step(request, queryset, "send_back")

    @admin.action(
        description="Withdraw selected trials from the public site", permissions=["publish"]
    )
    def withdraw(self, request, queryset):
        return self._bulk_step(request, queryset, "withdraw")

    @admin.action(description="Approve edits made since publication", permissions=["publish"])
    def approve_edits(self, request, queryset):
        return self._bulk_step(request, queryset, "approve_edits")

    @admin.action(description="Mark selected trials verified today", permissions=["change"])
    def mark_verified(self, request, queryset):
        return self._bulk_step(request, queryset, "mark_verified")

    # History: every snapshot with who and why; each shows what changed from the one before
    # and can be restored (with its parts).
    def history_view(self, request, object_id, extra_context=None):
        trial = self.get_object(request, object_id)
        if trial is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, trial):
            raise PermissionDenied
        return TemplateResponse(
            request,
            "admin/trials/trial/history.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": trial,
                "title": f"History: {trial}",
                "versions": history.trial_versions(trial),
            },
        )

    def revision_view(self, request, object_id, revision_id):
        trial = self.get_object(request, object_id)
        if trial is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, trial):
            raise PermissionDenied
        versions = list(history.trial_versions(trial))
        index = next((i for i, v in enumerate(versions) if v.revision_id == revision_id), None)
        if index is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        version = versions[index]
        previous = versions[index + 1] if index + 1 < len(versions) else None
        can_revert = index > 0 and self.has_change_permission(request, trial)
        form = RevertForm(request.POST or None)
        if request.method == "POST":
            if not can_revert:
                raise PermissionDenied
            if form.is_valid():
                try:
                    services.trial_revert(
                        trial=trial,
                        revision_id=revision_id,
                        user=request.user,
                        reason=form.cleaned_data["reason"],
                    )
                except ValidationError as error:
                    self.message_user(request, " ".join(error.messages), messages.ERROR)
                else:
                    self.message_user(
                        request, "The trial and its parts were reverted.", messages.SUCCESS
                    )
                    return HttpResponseRedirect(
                        reverse("admin:trials_trial_change", args=[trial.pk])
                    )
        current = history.snapshot(versions[0])
        return TemplateResponse(
            request,
            "admin/trials/trial/revision.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": trial,
                "title": f"Version of {version.revision.date_created:%d %b %Y %H:%M}: {trial}",
                "version": version,
                "changes": history.diff(
                    history.snapshot(previous) if previous else None, history.snapshot(version)
                ),
                "revert_changes": history.diff(current, history.snapshot(version))
                if can_revert
                else [],
                "can_revert": can_revert,
                "form": form,
            },
        )


class TermAdmin(admin.ModelAdmin):
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    INDEXED_FIELDS = {"slug", "name", "parent"}

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and self.INDEXED_FIELDS & set(form.changed_data):
            # A new slug, name or parent changes how trials are found and counted.
            services.trials_reindex(trial_ids=self.affected_trial_ids(obj))

    def delete_model(self, request, obj):
        affected = self.affected_trial_ids(obj)
        super().delete_model(request, obj)
        services.trials_reindex(trial_ids=affected)

    def delete_queryset(self, request, queryset):
        affected = {pk for term in queryset for pk in self.affected_trial_ids(term)}
        super().delete_queryset(request, queryset)
        services.trials_reindex(trial_ids=sorted(affected))

    def affected_trial_ids(self, term):
        return []


class HierarchicalTermAdmin(TermAdmin):
    relation = ""  # how trials reach this vocabulary

    def affected_trial_ids(self, term):
        ids = type(term).objects.with_descendants([term.slug])
        return list(
            Trial.objects.filter(**{f"{self.relation}__in": ids}).values_list("pk", flat=True)
        )

    list_display = ["name", "slug", "parent"]
    list_select_related = ["parent"]
    list_filter = [("parent", admin.RelatedOnlyFieldListFilter)]
    autocomplete_fields = ["parent"]


@admin.register(Condition)
class ConditionAdmin(HierarchicalTermAdmin):
    relation = "conditions"
    list_display = [*HierarchicalTermAdmin.list_display, "mesh_id"]


@admin.register(CellType)
class CellTypeAdmin(HierarchicalTermAdmin):
    relation = "interventions__cell_type"


@admin.register(Route)
class RouteAdmin(TermAdmin):
    list_display = ["name", "slug", "description"]

    def affected_trial_ids(self, term):
        return list(Trial.objects.filter(interventions__routes=term).values_list("pk", flat=True))


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "website"]
    search_fields = ["name"]
    list_filter = ["country"]

    # Sponsor and collaborator names are part of each trial's search document.
    @staticmethod
    def affected_trial_ids(organisation):
        return sorted(
            set(
                Trial.objects.filter(
                    Q(sponsor=organisation) | Q(collaborators=organisation)
                ).values_list("pk", flat=True)
            )
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "name" in form.changed_data:
            services.trials_reindex(trial_ids=self.affected_trial_ids(obj))

    def delete_model(self, request, obj):
        affected = self.affected_trial_ids(obj)
        super().delete_model(request, obj)
        services.trials_reindex(trial_ids=affected)


@admin.register(Publication)
class PublicationAdmin(admin.ModelAdmin):
    change_list_template = "admin/trials/publication/change_list.html"
    list_display = ["title", "journal", "year", "doi", "pmid"]

    def get_urls(self):
        return [
            path(
                "upload-ris/",
                self.admin_site.admin_view(lambda request: ris_upload_view(self, request)),
                name="trials_publication_upload_ris",
            ),
            *super().get_urls(),
        ]

    search_fields = ["title", "doi", "pmid", "pmcid", "authors", "journal"]
    list_filter = ["year"]


# The public's problem reports live in their own module.
from trials import admin_reports  # noqa: E402,F401
