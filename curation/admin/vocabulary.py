"""Vocabulary terms, organisations and publications."""

from django.contrib import admin
from django.db.models import Q
from django.urls import path

from curation.admin.imports import ris_upload_view
from trials import services
from trials.models import CellType, Condition, Organisation, Publication, Route, Trial


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
