"""The parts of a trial, edited on its page."""

from django.contrib import admin

from trials.models import Intervention, Outcome, RegistryId, Site, Source, TrialPublication


class RegistryIdInline(admin.TabularInline):
    model = RegistryId
    extra = 0
    min_num = 0


class InterventionInline(admin.StackedInline):
    model = Intervention
    extra = 0
    autocomplete_fields = ["cell_type", "routes", "product"]
    fieldsets = [
        (None, {"fields": [("label", "role", "position"), "description"]}),
        ("Cells", {"fields": [("cell_type", "origin", "tissue_source"), "routes", "product"]}),
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
