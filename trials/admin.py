"""The curators' tool. Product code: fast changelists, inlines for every part, clear errors."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q

from trials import services
from trials.models import (
    CellType,
    Condition,
    Intervention,
    Organisation,
    Outcome,
    Publication,
    RegistryId,
    Route,
    Site,
    Source,
    Trial,
    TrialPublication,
)


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
    list_display = [
        "display_title",
        "registry_id_list",
        "listing_type",
        "phase",
        "status",
        "workflow",
        "last_verified",
        "updated_at",
    ]
    list_display_links = ["display_title"]
    list_select_related = ["sponsor"]
    list_filter = [
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
        "workflow",
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
    actions = ["submit_for_review", "publish", "send_back", "withdraw"]
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
                ]
            },
        ),
        (
            "Curation",
            {
                "fields": [
                    ("workflow", "last_verified"),
                    "curator_notes",
                    ("created_by", "reviewed_by", "published_at"),
                    ("created_at", "updated_at"),
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("registry_ids", queryset=RegistryId.objects.order_by("registry", "id"))
            )
        )

    @admin.display(description="Trial", ordering="title")
    def display_title(self, obj):
        return str(obj)

    @admin.display(description="Registry ids")
    def registry_id_list(self, obj):
        return ", ".join(r.identifier for r in obj.registry_ids.all())

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        services.trials_delete(queryset=Trial.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        services.trials_delete(queryset=queryset)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Inlines (ids, arms, routes) are saved only now; index what a search should find.
        services.trials_reindex(trial_ids=[form.instance.pk])

    # Workflow actions: each calls the service, which re-checks the permission.
    def has_publish_permission(self, request):
        return request.user.has_perm(services.PUBLISH_PERMISSION)

    def _transition(self, request, queryset, action, done):
        moved = 0
        for trial in queryset:
            try:
                services.trial_transition(trial=trial, action=action, user=request.user)
                moved += 1
            except (ValidationError, PermissionDenied) as error:
                self.message_user(
                    request,
                    " ".join(error.messages if hasattr(error, "messages") else [str(error)]),
                    messages.ERROR,
                )
        if moved:
            self.message_user(request, f"{moved} trial(s) {done}.", messages.SUCCESS)

    @admin.action(description="Submit selected trials for review", permissions=["change"])
    def submit_for_review(self, request, queryset):
        self._transition(request, queryset, "submit", "submitted for review")

    @admin.action(description="Publish selected trials", permissions=["publish"])
    def publish(self, request, queryset):
        self._transition(request, queryset, "publish", "published")

    @admin.action(description="Send selected trials back to draft", permissions=["publish"])
    def send_back(self, request, queryset):
        self._transition(request, queryset, "send_back", "sent back to draft")

    @admin.action(
        description="Withdraw selected trials from the public site", permissions=["publish"]
    )
    def withdraw(self, request, queryset):
        self._transition(request, queryset, "withdraw", "withdrawn")


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
    list_display = ["title", "journal", "year", "doi", "pmid"]
    search_fields = ["title", "doi", "pmid", "pmcid", "authors", "journal"]
    list_filter = ["year"]


# The public's problem reports live in their own module.
from trials import admin_reports  # noqa: E402,F401
