"""Facet counts: for each option, how many published trials it would give *given the other
active filters* (disjunctive faceting: OR within a facet, AND across facets).

Counts come from the browse index (trials.models.index), where every (trial, facet, value) row
is unique, so a plain GROUP BY … COUNT(*) counts trials — no DISTINCT over joined rows.

Queries: one for all facets the user has not filtered on (they share the same base: every
active filter), plus one per facet in use (its base leaves its own filter out). So the count
depends only on which facets are in the URL, never on page size or the number of trials.
"""

from dataclasses import dataclass, field

from django.db.models import Count
from django_countries import countries

from trials.filters import FACETS, HAS_RESULTS_CHOICES, LABELS, ORIGIN_CHOICES, TrialFilter
from trials.models import FacetValue, ListingType, Phase, Status


@dataclass
class Option:
    value: str
    label: str
    count: int
    selected: bool
    depth: int = 0

    @property
    def muted(self) -> bool:
        return self.count == 0


@dataclass
class Facet:
    name: str
    label: str
    options: list[Option] = field(default_factory=list)

    @property
    def has_selection(self) -> bool:
        return any(option.selected for option in self.options)


def facet_counts(filterset: TrialFilter, base) -> dict[str, dict[str, int]]:
    """{facet: {value: trials}} for every facet, given the other active filters."""
    params = filterset.params
    active = [name for name in FACETS if params.getlist(name)]
    inactive = [name for name in FACETS if name not in active]
    # Filters that are not facets (search, ranges) narrow every facet's base.
    other_filters = any(params.get(name) for name in filterset.filters if name not in FACETS)

    def rows(facets, skip=None):
        rows = FacetValue.objects.filter(facet__in=facets)
        if other_filters or [name for name in active if name != skip]:
            matching = filterset.filter_queryset(base, skip=skip).order_by().values("pk")
            rows = rows.filter(trial_id__in=matching)
        return rows.order_by().values_list("facet", "value").annotate(n=Count("pk"))

    counts: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    querysets = [rows(inactive)] if inactive else []
    querysets += [rows([name], skip=name) for name in active]
    for queryset in querysets:
        for facet, value, n in queryset:
            counts[facet][value] = n
    return counts


def build_facets(filterset: TrialFilter, base) -> list[Facet]:
    """All facets of the list page, options in display order. `base`: published trials."""
    vocabulary = filterset.vocabulary
    params = filterset.params
    counts = facet_counts(filterset, base)

    def options(name, choices, depths=None):
        return [
            Option(
                value,
                label,
                counts[name].get(value, 0),
                value in params.getlist(name),
                (depths or {}).get(value, 0),
            )
            for value, label in choices
        ]

    facets = []
    for kind in ("condition", "cell_type", "route"):
        tree = vocabulary.tree(kind)
        facets.append(
            Facet(
                kind,
                LABELS[kind],
                options(
                    kind,
                    [(term.slug, term.name) for term, _depth in tree],
                    {term.slug: depth for term, depth in tree},
                ),
            )
        )
    facets.append(Facet("phase", LABELS["phase"], options("phase", Phase.choices)))
    facets.append(Facet("status", LABELS["status"], options("status", Status.choices)))
    facets.append(Facet("origin", LABELS["origin"], options("origin", ORIGIN_CHOICES)))
    facets.append(Facet("listing", LABELS["listing"], options("listing", ListingType.choices)))
    # Countries: those with trials, plus any selected (so a selection can always be undone).
    shown = {code for code, n in counts["country"].items() if n} | set(params.getlist("country"))
    facets.append(
        Facet(
            "country",
            LABELS["country"],
            options("country", sorted(((c, countries.name(c)) for c in shown), key=lambda c: c[1])),
        )
    )
    facets.append(
        Facet("has_results", LABELS["has_results"], options("has_results", HAS_RESULTS_CHOICES))
    )
    return facets
