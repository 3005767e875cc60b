"""Facet counts: for each option, how many published trials it would give *given the other
active filters* (disjunctive faceting: OR within a facet, AND across facets).

Counts come from the browse index (trials.models.index), held in memory as bitmaps: no query
per facet, and none over joined trial rows. Queries per page: one to check the index is
current, plus one for the trial ids a search or a range leaves, when one is used.
"""

from dataclasses import dataclass, field

from django_countries import countries

from browse.filters import (
    FACETS,
    HAS_PUBLICATION_CHOICES,
    HAS_RESULTS_CHOICES,
    HIDDEN_FACETS,
    LABELS,
    ORIGIN_CHOICES,
    TrialFilter,
)
from trials.models import BrowseIndexState, FacetValue, ListingType, Phase, Status


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


class IndexBitmaps:
    """The browse index held in memory as one bitmap per facet option (bit n = trial id n).

    Counting an option given a set of filters is then an AND and a popcount of two integers,
    a few microseconds, instead of a GROUP BY over every indexed row. Each process rebuilds its
    copy when the index token in the database changes (services.trials_reindex sets it), so a
    request costs one tiny query while the index is unchanged.
    """

    _token: str | None = None
    _bitmaps: dict[tuple[str, str], int] = {}

    @classmethod
    def current(cls) -> dict[tuple[str, str], int]:
        token = BrowseIndexState.objects.values_list("token", flat=True).first()
        if token is None or token != cls._token:
            cls._bitmaps = cls._load()
            cls._token = token
        return cls._bitmaps

    @staticmethod
    def _load() -> dict[tuple[str, str], int]:
        ids: dict[tuple[str, str], list[int]] = {}
        for trial_id, facet, value in FacetValue.objects.order_by().values_list(
            "trial_id", "facet", "value"
        ):
            ids.setdefault((facet, value), []).append(trial_id)
        return {key: bitmap(members) for key, members in ids.items()}


def bitmap(ids) -> int:
    ids = list(ids)
    if not ids:
        return 0
    bits = bytearray(max(ids) // 8 + 1)
    for n in ids:
        bits[n >> 3] |= 1 << (n & 7)
    return int.from_bytes(bits, "little")


def facet_counts(filterset: TrialFilter, base) -> tuple[dict[str, dict[str, int]], int]:
    """({facet: {value: trials}} for every facet given the other active filters, and the number
    of trials matching all of them)."""
    params = filterset.params
    bitmaps = IndexBitmaps.current()
    # Every published trial has exactly one listing type: their union is all indexed trials.
    everything = 0
    for (facet, _value), members in bitmaps.items():
        if facet == "listing":
            everything |= members
    matching = {}
    for name in FACETS:
        values = params.getlist(name)
        if values:
            union = 0
            for value in values:
                union |= bitmaps.get((name, value), 0)
            matching[name] = union
    # Search and ranges live on the trial row: one query for the ids they leave, if used.
    if any(params.get(name) for name in filterset.filters if name not in FACETS):
        narrowed = filterset.filter_queryset(base, skip=set(FACETS)).values_list("pk", flat=True)
        everything &= bitmap(narrowed.order_by())

    counts: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    for name in FACETS:
        allowed = everything
        for other, members in matching.items():
            if other != name:
                allowed &= members
        for (facet, value), members in bitmaps.items():
            if facet == name:
                counts[name][value] = (members & allowed).bit_count()
    total = everything
    for members in matching.values():
        total &= members
    return counts, total.bit_count()


def build_facets(filterset: TrialFilter, base) -> tuple[list[Facet], int]:
    """All facets of the list page, options in display order, and the number of matching
    trials. `base`: the published trials."""
    vocabulary = filterset.vocabulary
    params = filterset.params
    counts, total = facet_counts(filterset, base)

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
