"""Querysets that speak the domain: what the public may see, and how each page loads it."""

from django.db import models
from django.db.models import Exists, OuterRef, Prefetch

from trials.choices import Workflow
from trials.models.evidence import TrialPublication
from trials.models.parts import Intervention, RegistryId


def _arms() -> Prefetch:
    return Prefetch(
        "interventions",
        queryset=Intervention.objects.select_related("cell_type", "product").prefetch_related(
            "routes"
        ),
    )


def _publication_links() -> Prefetch:
    return Prefetch(
        "trialpublication_set",
        queryset=TrialPublication.objects.select_related("publication").order_by(
            "-publication__year", "role", "id"
        ),
        to_attr="publication_links",
    )


class TrialQuerySet(models.QuerySet):
    def published(self):
        """The only trials the public ever sees (lists, counts, exports, search, browse)."""
        return self.filter(workflow=Workflow.PUBLISHED)

    # Long texts a list row never shows (the search columns alone are kilobytes a row).
    LIST_DEFERRED = (
        "search_text",
        "curator_notes",
        "summary",
        "participants",
        "results_summary",
        "design_notes",
        "follow_up_detail",
    )

    def for_list(self):
        """Everything a list row shows, in a fixed number of queries whatever the page size."""
        return (
            self.defer(*self.LIST_DEFERRED)
            .select_related("sponsor")
            .prefetch_related("conditions", "registry_ids", _arms())
        )

    def for_detail(self):
        """The whole record for the detail page, in a fixed number of queries."""
        return (
            self.defer("search_text")
            .select_related("sponsor")
            .prefetch_related(
                "conditions__parent",
                "registry_ids",
                "collaborators",
                "outcomes",
                "sites",
                "sources",
                _arms(),
                _publication_links(),
            )
        )

    def for_export(self):
        """Everything an export row holds, prefetched chunk by chunk."""
        return self.defer(*self.LIST_DEFERRED).prefetch_related(
            "conditions", "registry_ids", "outcomes", _arms(), _publication_links()
        )

    def for_index(self):
        """Everything reindexing reads: the search document, the facet rows and the public
        record (the export's prefetches plus sponsor, collaborators and sites)."""
        return (
            self.for_export()
            .defer(None)
            .select_related("sponsor")
            .prefetch_related("collaborators", "sites")
        )

    def for_backup(self):
        """Every stored fact of each trial and its parts (trials/backup.py), prefetched chunk by
        chunk like the exports. Only the derived search columns are left out: a restore
        rebuilds them."""
        return self.for_detail().select_related("created_by", "reviewed_by")

    # Public filtering goes through the browse index (browse.filters); this lookup serves the
    # registry-id redirects.
    def with_registry_id(self, identifier: str):
        return self.filter(
            Exists(
                RegistryId.objects.filter(
                    trial_id=OuterRef("pk"), identifier__iexact=identifier.strip()
                )
            )
        )
