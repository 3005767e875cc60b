"""Facet boxes: for each option, how many published trials it would give *given the other
active filters* (disjunctive faceting: OR within a facet, AND across facets).

Counts come from `Results.counts` (browse/results.py): the browse index held in memory as
bitmaps, no query per facet and none over joined trial rows.
"""

from dataclasses import dataclass, field

from django_countries import countries

from browse.filters import (
    HAS_PUBLICATION_CHOICES,
    HAS_RESULTS_CHOICES,
    HIDDEN_FACETS,
    LABELS,
    ORIGIN_CHOICES,
    TrialFilter,
)
from browse.results import Results
from trials.models import ListingType, Phase, Status


@dataclass
class Option:
    value: str
    label: str
    count: int
    selected: bool
    depth: int = 0
    parent_label: str = ""

    @property
    def muted(self) -> bool:
        return self.count == 0


@dataclass
class Facet:
    name: str
    label: str
    options: list[Option] = field(default_factory=list)
    hidden: bool = False  # a filter of the index without a box on the list (chips only)

    @property
    def has_selection(self) -> bool:
        return any(option.selected for option in self.options)


def build_facets(filterset: TrialFilter, results: Results | None = None) -> tuple[list[Facet], int]:
    """All facets of the list page, options in display order, and the number of matching
    trials."""
    vocabulary = filterset.vocabulary
    params = filterset.params
    results = results or Results(filterset)
    counts, total = results.counts(), results.total

    def options(name, choices, depths=None, parents=None):
        return [
            Option(
                value,
                label,
                counts[name].get(value, 0),
                value in params.getlist(name),
                (depths or {}).get(value, 0),
                (parents or {}).get(value, ""),
            )
            for value, label in choices
        ]

    facets = []
    for kind in ("condition", "cell_type", "route"):
        tree = vocabulary.tree(kind)
        names = {term.pk: term.name for term, _depth in tree}
        parents = {
            term.slug: names.get(getattr(term, "parent_id", None), "") for term, _depth in tree
        }
        facets.append(
            Facet(
                kind,
                LABELS[kind],
                options(
                    kind,
                    [(term.slug, term.name) for term, _depth in tree],
                    {term.slug: depth for term, depth in tree},
                    parents,
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
    facets.append(
        Facet(
            "has_publication",
            LABELS["has_publication"],
            options("has_publication", HAS_PUBLICATION_CHOICES),
        )
    )
    products = [(p.slug, p.name) for p in vocabulary.terms["product"]]
    facets.append(Facet("product", LABELS["product"], options("product", products)))
    allowed = filterset.filters
    for name in sorted(HIDDEN_FACETS):
        labels = dict(allowed[name].extra["choices"])
        selected = [(value, labels[value]) for value in params.getlist(name)]
        facets.append(Facet(name, LABELS[name], options(name, selected), hidden=True))
    return facets, total
