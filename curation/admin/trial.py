"""The trial admin: the changelist here; editing, workflow and history come from mixins."""

from django.contrib import admin
from django.db.models import Prefetch

from curation.admin.editing import EditingMixin
from curation.admin.filters import ReviewQueueFilter
from curation.admin.history import HistoryMixin
from curation.admin.workflow import WorkflowMixin
from trials.models import RegistryId, Trial, Workflow


@admin.register(Trial)
class TrialAdmin(WorkflowMixin, HistoryMixin, EditingMixin, admin.ModelAdmin):
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
    date_hierarchy = "updated_at"

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

    @admin.display(description="Trial", ordering="title")
    def display_title(self, obj):
        return str(obj)

    @admin.display(description="Registry ids")
    def registry_id_list(self, obj):
        return ", ".join(r.identifier for r in obj.registry_ids.all())
