"""Facet counts: for each option, how many published trials it would give *given the other
active filters* (disjunctive faceting: OR within a facet, AND across facets).

One query per facet, whatever the number of trials: the trials matching the other filters are a
subquery, and related rows are counted with COUNT(DISTINCT trial_id) per option — never a
SELECT DISTINCT over joined trial rows. Hierarchical options count their descendants' trials
once (a trial tagged both MS and SPMS counts once under MS).
"""

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django_countries import countries

from trials.filters import HAS_RESULTS_CHOICES, LABELS, ORIGIN_CHOICES, TrialFilter
from trials.models import Intervention, ListingType, Phase, Site, Status, Trial


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


def _term_counts(rows_queryset, term_field: str, trial_field: str, vocabulary, kind) -> dict:
    """{slug: trials tagged with the term or any descendant}, in one aggregate query."""
    aggregates = {
        f"t{term.pk}": Count(
            trial_field,
            distinct=True,
            filter=Q(**{f"{term_field}__in": vocabulary.descendant_ids(kind, [term.slug])}),
        )
        for term in vocabulary.terms[kind]
    }
    if not aggregates:
        return {}
    row = rows_queryset.aggregate(**aggregates)
    return {term.slug: row[f"t{term.pk}"] for term in vocabulary.terms[kind]}


def _grouped(queryset, column: str, trial_field: str = "pk", distinct=False) -> dict:
    rows = queryset.order_by().values(column).annotate(n=Count(trial_field, distinct=distinct))
    return {row[column]: row["n"] for row in rows}


def build_facets(filterset: TrialFilter, base) -> list[Facet]:
    """All facets of the list page. `base` is the published queryset before any filter."""
    vocabulary = filterset.vocabulary
    params = filterset.params

    def matching_ids(skip):
        return filterset.filter_queryset(base, skip=skip).order_by().values("pk")

    counts = {
        "condition": _term_counts(
            Trial.conditions.through.objects.filter(trial_id__in=matching_ids("condition")),
            "condition_id",
            "trial_id",
            vocabulary,
            "condition",
        ),
        "cell_type": _term_counts(
            Intervention.objects.filter(trial_id__in=matching_ids("cell_type")),
            "cell_type_id",
            "trial_id",
            vocabulary,
            "cell_type",
        ),
        "route": _term_counts(
            Intervention.routes.through.objects.filter(
                intervention__trial_id__in=matching_ids("route")
            ),
            "route_id",
            "intervention__trial_id",
            vocabulary,
            "route",
        ),
    }
    phase_row = filterset.filter_queryset(base, skip="phase").aggregate(
        **{code: Count("pk", filter=Q(phase__in=Phase.matching(code))) for code in Phase.values}
    )
    status_counts = _grouped(filterset.filter_queryset(base, skip="status"), "status")
    origin_counts = _grouped(
        Intervention.objects.filter(trial_id__in=matching_ids("origin")),
        "origin",
        "trial_id",
        distinct=True,
    )
    listing_counts = _grouped(filterset.filter_queryset(base, skip="listing"), "listing_type")
    country_counts = _grouped(
        Site.objects.filter(trial_id__in=matching_ids("country")), "country", "trial_id", True
    )
    results_counts = _grouped(filterset.filter_queryset(base, skip="has_results"), "has_results")

    def selected(name, value):
        return value in params.getlist(name)

    facets = []
    for kind in ("condition", "cell_type", "route"):
        facets.append(
            Facet(
                kind,
                LABELS[kind],
                [
                    Option(
                        term.slug,
                        term.name,
                        counts[kind].get(term.slug, 0),
                        selected(kind, term.slug),
                        depth,
                    )
                    for term, depth in vocabulary.tree(kind)
                ],
            )
        )
    facets.append(
        Facet(
            "phase",
            LABELS["phase"],
            [
                Option(code, label, phase_row[code], selected("phase", code))
                for code, label in Phase.choices
            ],
        )
    )
    facets.append(
        Facet(
            "status",
            LABELS["status"],
            [
                Option(code, label, status_counts.get(code, 0), selected("status", code))
                for code, label in Status.choices
            ],
        )
    )
    facets.append(
        Facet(
            "origin",
            LABELS["origin"],
            [
                Option(code, label, origin_counts.get(code, 0), selected("origin", code))
                for code, label in ORIGIN_CHOICES
            ],
        )
    )
    facets.append(
        Facet(
            "listing",
            LABELS["listing"],
            [
                Option(code, label, listing_counts.get(code, 0), selected("listing", code))
                for code, label in ListingType.choices
            ],
        )
    )
    # Countries: the ones with trials, plus any selected (so a selection can be undone).
    shown = {code for code, n in country_counts.items() if n} | set(params.getlist("country"))
    facets.append(
        Facet(
            "country",
            LABELS["country"],
            [
                Option(
                    code,
                    countries.name(code),
                    country_counts.get(code, 0),
                    selected("country", code),
                )
                for code in sorted(shown, key=lambda c: countries.name(c))
            ],
        )
    )
    facets.append(
        Facet(
            "has_results",
            LABELS["has_results"],
            [
                Option(
                    value,
                    label,
                    results_counts.get(value == "yes", 0),
                    params.get("has_results") == value,
                )
                for value, label in HAS_RESULTS_CHOICES
            ],
        )
    )
    return facets
