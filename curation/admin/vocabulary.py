"""Vocabulary terms, organisations and publications."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import path, reverse

from curation.admin.imports import ris_upload_view
from trials import services
from trials.models import (
    CellProduct,
    CellType,
    Condition,
    Organisation,
    Publication,
    Route,
    TrialPublication,
)


class ServiceWritesMixin:
    """Saves and deletes go through the services (which reindex and record history on the
    trials they touch); a delete the services refuse is explained, and nothing is deleted."""

    def save_model(self, request, obj, form, change):
        if change:
            self.update(obj, request.user)
        else:
            self.create(obj, request.user)

    def delete_model(self, request, obj):
        self.delete(obj, request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete(obj, request.user)

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        refusal = self.delete_refusal(obj) if obj is not None else ""
        if refusal:
            # Said before the "are you sure?" page, not after it.
            self.message_user(request, refusal, messages.ERROR)
            opts = self.opts
            return HttpResponseRedirect(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
            )
        return super().delete_view(request, object_id, extra_context)

    def changelist_view(self, request, extra_context=None):
        # The bulk "delete selected" action: one refused object rolls back the whole batch.
        try:
            with transaction.atomic():
                return super().changelist_view(request, extra_context)
        except ValidationError as refusal:
            self.message_user(request, " ".join(refusal.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class TermAdmin(ServiceWritesMixin, admin.ModelAdmin):
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def create(self, term, user):
        services.term_create(term=term, user=user)

    def update(self, term, user):
        services.term_update(term=term, user=user)

    def delete(self, term, user):
        services.term_delete(term=term, user=user)

    def delete_refusal(self, term):
        return services.term_delete_refusal(term)


class HierarchicalTermAdmin(TermAdmin):
    list_display = ["name", "slug", "parent"]
    list_select_related = ["parent"]
    list_filter = [("parent", admin.RelatedOnlyFieldListFilter)]
    autocomplete_fields = ["parent"]


@admin.register(Condition)
class ConditionAdmin(HierarchicalTermAdmin):
    list_display = [*HierarchicalTermAdmin.list_display, "mesh_id"]


@admin.register(CellType)
class CellTypeAdmin(HierarchicalTermAdmin):
    pass


@admin.register(Route)
class RouteAdmin(TermAdmin):
    list_display = ["name", "slug", "description"]


@admin.register(Organisation)
class OrganisationAdmin(ServiceWritesMixin, admin.ModelAdmin):
    list_display = ["name", "country", "website"]
    search_fields = ["name"]
    list_filter = ["country"]

    def create(self, organisation, user):
        services.organisation_create(organisation=organisation, user=user)

    def update(self, organisation, user):
        services.organisation_update(organisation=organisation, user=user)

    def delete(self, organisation, user):
        services.organisation_delete(organisation=organisation, user=user)

    def delete_refusal(self, organisation):
        return services.organisation_delete_refusal(organisation)


@admin.register(CellProduct)
class CellProductAdmin(ServiceWritesMixin, admin.ModelAdmin):
    """A named cell product; its trials come from the arms that link to it (on each trial's
    page, "Cells" → product)."""

    list_display = ["name", "developer", "cell_type", "origin"]
    list_select_related = ["cell_type"]
    search_fields = ["name", "aliases", "developer"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["cell_type"]
    fields = [
        ("name", "slug"),
        "aliases",
        "developer",
        ("cell_type", "origin", "tissue_source"),
        "description",
        "sources",
    ]

    def create(self, product, user):
        services.product_create(product=product, user=user)

    def update(self, product, user):
        services.product_update(product=product, user=user)

    def delete(self, product, user):
        services.product_delete(product=product, user=user)

    def delete_refusal(self, product):
        return services.product_delete_refusal(product)


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

    # A publication is part of its trials' public record (exports, API): a change rebuilds
    # their stored records and gives public lists a new ETag, though no trial was edited.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.publications_changed(publication_ids=[obj.pk])

    def delete_model(self, request, obj):
        self.delete_queryset(request, Publication.objects.filter(pk=obj.pk))

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        citing = set(
            TrialPublication.objects.filter(publication__in=queryset).values_list(
                "trial_id", flat=True
            )
        )
        super().delete_queryset(request, queryset)
        services.trials_reindex(trial_ids=citing)
