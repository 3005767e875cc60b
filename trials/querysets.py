"""Querysets that speak the domain: what the public may see, and how each page loads it."""

from django.db import models
from django.db.models import Exists, OuterRef, Prefetch


class TrialQuerySet(models.QuerySet):
    def published(self):
        """The only trials the public ever sees (lists, counts, exports, search, browse)."""
        from trials.models.choices import Workflow

        return self.filter(workflow=Workflow.PUBLISHED)

    # Long texts a list row never shows (the search columns alone are kilobytes a row).
    LIST_DEFERRED = (
        "search_text",
        "search_vector",
        "curator_notes",
        "summary",
        "participants",
        "results_summary",
        "design_notes",
        "follow_up_detail",
    )

    def for_list(self):
        """Everything a list row shows, in a fixed number of queries whatever the page size."""
        from trials.models import Intervention

        return (
            self.defer(*self.LIST_DEFERRED)
            .select_related("sponsor")
            .prefetch_related(
                "conditions",
                "registry_ids",
                Prefetch(
                    "interventions",
                    queryset=Intervention.objects.select_related("cell_type").prefetch_related(
                        "routes"
                    ),
                ),
            )
        )

    def for_detail(self):
        """The whole record for the detail page, in a fixed number of queries."""
        from trials.models import Intervention, TrialPublication

        return (
            self.defer("search_text", "search_vector")
            .select_related("sponsor")
            .prefetch_related(
                "conditions__parent",
                "registry_ids",
                "collaborators",
                "outcomes",
                "sites",
                "sources",
                Prefetch(
                    "interventions",
                    queryset=Intervention.objects.select_related("cell_type").prefetch_related(
                        "routes"
                    ),
                ),
                Prefetch(
                    "trialpublication_set",
                    queryset=TrialPublication.objects.select_related("publication").order_by(
                        "-publication__year", "role", "id"
                    ),
                    to_attr="publication_links",
                ),
            )
        )

    def for_export(self):
        """Everything an export row holds, prefetched chunk by chunk."""
        from trials.models import Intervention, TrialPublication

        return self.defer(*self.LIST_DEFERRED).prefetch_related(
            "conditions",
            "registry_ids",
            "outcomes",
            Prefetch(
                "interventions",
                queryset=Intervention.objects.select_related("cell_type").prefetch_related(
                    "routes"
                ),
            ),
            Prefetch(
                "trialpublication_set",
                queryset=TrialPublication.objects.select_related("publication").order_by(
                    "-publication__year", "role", "id"
                ),
                to_attr="publication_links",
            ),
        )

    # Filters over related rows use EXISTS so a trial matching twice is still one row:
    # no DISTINCT over joined trial rows, and the count stays a plain COUNT(*).
    def with_condition_ids(self, ids):
        through = self.model.conditions.through
        return self.filter(
            Exists(through.objects.filter(trial_id=OuterRef("pk"), condition_id__in=ids))
        )

    def with_cell_type_ids(self, ids):
        from trials.models import Intervention

        return self.filter(
            Exists(Intervention.objects.filter(trial_id=OuterRef("pk"), cell_type_id__in=ids))
        )

    def with_route_ids(self, ids):
        from trials.models import Intervention

        through = Intervention.routes.through
        return self.filter(
            Exists(through.objects.filter(intervention__trial_id=OuterRef("pk"), route_id__in=ids))
        )

    def with_phases(self, codes):
        from trials.models.choices import Phase

        expanded = {value for code in codes for value in Phase.matching(code)}
        return self.filter(phase__in=sorted(expanded))

    def with_registry_id(self, identifier: str):
        from trials.models import RegistryId

        return self.filter(
            Exists(
                RegistryId.objects.filter(
                    trial_id=OuterRef("pk"), identifier__iexact=identifier.strip()
                )
            )
        )
