"""The one FilterSet: the public list, facets, browse pages and exports all filter with it.

Parameters follow the URL contract in PRODUCT.md. Multi-valued parameters repeat
(`condition=ms&condition=als`) and are ORed within a facet, ANDed across facets. Hierarchical
vocabularies include descendants (`condition=ms` matches SPMS trials).

Bad values never reach the queryset: `clean_params` drops each bad value with a message that
names it, and the rest of the query still applies. The list shows the messages; exports answer
400 with them.
"""

import datetime
import re
from dataclasses import dataclass, field

import django_filters
from django.contrib.postgres.search import SearchRank
from django.db import connection
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, Value, When
from django.db.models.functions import Coalesce
from django.http import QueryDict
from django_countries import countries

from browse import eligibility
from trials.models import (
    CellProduct,
    CellType,
    Condition,
    FacetValue,
    ListingType,
    Origin,
    Phase,
    Route,
    Status,
    Trial,
)
from trials.models.index import web_search

MAX_QUERY_LENGTH = 200


class Vocabulary:
    """Every term of the three vocabularies, loaded once per request (three small queries).

    The filters validate slugs against it and the facets list their options from it, so
    neither queries the vocabularies again.
    """

    def __init__(self):
        self.terms = {
            "condition": list(Condition.objects.all()),
            "cell_type": list(CellType.objects.all()),
            "route": list(Route.objects.all()),
            "product": list(CellProduct.objects.all()),
        }

    @property
    def fingerprint(self) -> int:
        """Changes when any term's slug, name or place does (browse/fragments.py)."""
        terms = (t for kind in self.terms.values() for t in kind)
        return hash(tuple((t.pk, t.slug, t.name, getattr(t, "parent_id", None)) for t in terms))

    def tree(self, kind: str) -> list[tuple]:
        """(term, depth) in display order: each parent followed by its children, by name."""
        terms = self.terms[kind]
        children: dict[int | None, list] = {}
        for term in terms:
            children.setdefault(getattr(term, "parent_id", None), []).append(term)
        ordered: list[tuple] = []

        def walk(parent_id, depth):
            for term in sorted(children.get(parent_id, []), key=lambda t: t.name.lower()):
                ordered.append((term, depth))
                walk(term.pk, depth + 1)

        walk(None, 0)
        return ordered


ORIGIN_CHOICES = [(o.value, o.label) for o in Origin]
HAS_RESULTS_CHOICES = [("yes", "Results available"), ("no", "No results yet")]
# A results paper in a peer-reviewed journal (trials/completeness.py says which links count).
HAS_PUBLICATION_CHOICES = [
    ("yes", "Peer-reviewed results paper"),
    ("no", "No peer-reviewed results paper"),
]
# Evidence-table parameters (browse/evidence.py links every number to the list with them).
REPORTED_CHOICES = [
    ("enrollment", "Actual number of participants reported"),
    ("saes", "Serious adverse events reported"),
    ("related_saes", "Treatment-related serious adverse events reported"),
    ("deaths", "Deaths reported"),
]
ENDPOINT_CHOICES = [
    ("met", "Primary endpoint met"),
    ("not_met", "Primary endpoint not met"),
    ("not_reported", "Primary endpoint not reported"),
]
SORT_CHOICES = [
    ("relevance", "Best match"),
    ("updated", "Recently updated"),
    ("start", "Start date (newest first)"),
    ("enrollment", "Number of participants (largest first)"),
    ("phase", "Phase (latest first)"),
    ("evidence", "Evidence (peer-reviewed results first)"),
]

RANGES = {
    # parameter: (label, lowest, highest)
    "enrollment_min": ("Participants from", 0, 1_000_000),
    "enrollment_max": ("Participants up to", 0, 1_000_000),
    "follow_up_min": ("Follow-up from (months)", 0, 1200),
    "follow_up_max": ("Follow-up up to (months)", 0, 1200),
    "start_year_min": ("Started from year", 1950, 2100),
    "start_year_max": ("Started up to year", 1950, 2100),
}

LABELS = {
    "condition": "Condition",
    "cell_type": "Cell type",
    "route": "Route",
    "phase": "Phase",
    "status": "Status",
    "origin": "Cell origin",
    "listing": "Listing type",
    "country": "Country",
    "has_results": "Results",
    "has_publication": "Publication",
    "product": "Cell product",
    "arm": "Cells and route (same arm)",
    "reported": "Reports",
    "endpoint": "Primary endpoint",
    "q": "Search",
    "sort": "Sort",
    "page_size": "Results per page",
}


@dataclass
class CleanParams:
    data: QueryDict
    problems: list[str] = field(default_factory=list)


def _choice_values(vocabulary: Vocabulary) -> dict[str, dict[str, str]]:
    return {
        "condition": {t.slug: t.name for t in vocabulary.terms["condition"]},
        "cell_type": {t.slug: t.name for t in vocabulary.terms["cell_type"]},
        "route": {t.slug: t.name for t in vocabulary.terms["route"]},
        "phase": dict(Phase.choices),
        "status": dict(Status.choices),
        "origin": dict(ORIGIN_CHOICES),
        "listing": dict(ListingType.choices),
        "country": dict(countries),
        "has_results": dict(HAS_RESULTS_CHOICES),
        "has_publication": dict(HAS_PUBLICATION_CHOICES),
        "product": {p.slug: p.name for p in vocabulary.terms["product"]},
        "arm": _arm_values(vocabulary),
        "reported": dict(REPORTED_CHOICES),
        "endpoint": dict(ENDPOINT_CHOICES),
    }


def _arm_values(vocabulary: Vocabulary) -> dict[str, str]:
    """`arm=<cell type>:<route>` (route empty: not stated) for every pair of terms."""
    routes = [("", "route not stated")] + [(r.slug, r.name) for r in vocabulary.terms["route"]]
    return {
        f"{cell.slug}:{route}": f"{cell.name}, {name}"
        for cell in vocabulary.terms["cell_type"]
        for route, name in routes
    }


def clean_params(params: QueryDict, vocabulary: Vocabulary) -> CleanParams:
    """Keep the good values of the URL contract's parameters; name every bad one."""
    clean = QueryDict(mutable=True)
    problems: list[str] = []
    for name, allowed in _choice_values(vocabulary).items():
        for value in params.getlist(name):
            value = value.strip()
            if name in ("phase", "status", "country"):
                value = value.upper()
            elif name in ("has_results", "has_publication", "reported", "endpoint"):
                value = value.lower()
            if not value:
                continue
            if value in allowed:
                if value not in clean.getlist(name):
                    clean.appendlist(name, value)
            else:
                problems.append(f"{LABELS[name]}: there is no “{value[:60]}” in the tracker.")
    for name, (label, lowest, highest) in RANGES.items():
        value = params.get(name, "").strip()
        if not value:
            continue
        if re.fullmatch(r"\d{1,9}", value) and lowest <= int(value) <= highest:
            clean[name] = str(int(value))
        else:
            problems.append(
                f"{label}: “{value[:60]}” is not a whole number from {lowest} to {highest}."
            )
    for low, high in (
        ("enrollment_min", "enrollment_max"),
        ("follow_up_min", "follow_up_max"),
        ("start_year_min", "start_year_max"),
    ):
        if low in clean and high in clean and int(clean[low]) > int(clean[high]):
            problems.append(f"{RANGES[low][0]} is above “{RANGES[high][0].lower()}”: swapped them.")
            clean[low], clean[high] = clean[high], clean[low]
    for name in eligibility.BY_NAME:
        raw = params.get(name, "").strip()
        if raw:
            value, problem = eligibility.clean(name, raw)
            if value:
                clean[name] = value
            else:
                problems.append(problem)
    query = "".join(ch for ch in params.get("q", "") if ch.isprintable()).strip()
    if query != params.get("q", "").strip():
        problems.append("Search: invisible control characters were removed.")
    if len(query) > MAX_QUERY_LENGTH:
        problems.append(f"Search: only the first {MAX_QUERY_LENGTH} characters were used.")
        query = query[:MAX_QUERY_LENGTH]
    if query:
        clean["q"] = query
    sort = params.get("sort", "").strip()
    if sort in dict(SORT_CHOICES):
        clean["sort"] = sort
    elif sort:
        problems.append(f"Sort: “{sort[:60]}” is not a way to sort; showing the default order.")
    return CleanParams(data=clean, problems=problems)


def describe(params: QueryDict, vocabulary: Vocabulary) -> list[str]:
    """The active filters of cleaned `params` in words ("Condition: ALS or MS"), e.g. for a
    feed's title."""
    labels = _choice_values(vocabulary)
    words = [f"{LABELS['q']}: “{params['q']}”"] if params.get("q") else []
    for name, allowed in labels.items():
        values = params.getlist(name)
        if values:
            words.append(f"{LABELS[name]}: {' or '.join(allowed.get(v, v) for v in values)}")
    for name, (label, _low, _high) in RANGES.items():
        if params.get(name):
            words.append(f"{label}: {params[name]}")
    return words


# Parameters whose values are facet options (with counts on the list page).
FACETS = [
    "condition",
    "cell_type",
    "route",
    "phase",
    "status",
    "origin",
    "listing",
    "country",
    "has_results",
    "has_publication",
    "product",
    # Filters of the browse index that have no facet box on the list (the evidence table's
    # links use them); counted like the others, shown as chips.
    "arm",
    "reported",
    "endpoint",
]
HIDDEN_FACETS = {"arm", "reported", "endpoint"}


def _multiple(name):
    return django_filters.MultipleChoiceFilter(label=LABELS[name], method=f"filter_{name}")


class TrialFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Search", method="filter_q")
    condition = _multiple("condition")
    cell_type = _multiple("cell_type")
    route = _multiple("route")
    phase = _multiple("phase")
    status = _multiple("status")
    origin = _multiple("origin")
    listing = _multiple("listing")
    country = _multiple("country")
    has_results = _multiple("has_results")
    has_publication = _multiple("has_publication")
    product = _multiple("product")
    arm = _multiple("arm")
    reported = _multiple("reported")
    endpoint = _multiple("endpoint")
    age = django_filters.NumberFilter(method="filter_eligibility")
    edss = django_filters.NumberFilter(method="filter_eligibility")
    alsfrs = django_filters.NumberFilter(method="filter_eligibility")
    months_since_onset = django_filters.NumberFilter(method="filter_eligibility")
    enrollment_min = django_filters.NumberFilter(method="filter_enrollment_min")
    enrollment_max = django_filters.NumberFilter(method="filter_enrollment_max")
    follow_up_min = django_filters.NumberFilter(field_name="follow_up_months", lookup_expr="gte")
    follow_up_max = django_filters.NumberFilter(field_name="follow_up_months", lookup_expr="lte")
    start_year_min = django_filters.NumberFilter(method="filter_start_year_min")
    start_year_max = django_filters.NumberFilter(method="filter_start_year_max")

    class Meta:
        model = Trial
        fields: list[str] = []

    def __init__(self, data=None, queryset=None, *, vocabulary: Vocabulary | None = None, **kw):
        self.vocabulary = vocabulary or Vocabulary()
        cleaned = clean_params(data if data is not None else QueryDict(), self.vocabulary)
        self.problems = cleaned.problems
        self.params = cleaned.data
        super().__init__(cleaned.data, queryset, **kw)
        for name, allowed in _choice_values(self.vocabulary).items():
            self.filters[name].extra["choices"] = list(allowed.items())

    # -- the result set -------------------------------------------------------------------

    def filter_queryset(self, queryset, *, skip: str | set[str] | None = None):
        """Apply every active filter, except those in `skip` (the facets count each facet
        given all the *other* filters)."""
        if not self.form.is_valid():  # cannot happen after clean_params; never 500
            return queryset.none()
        skip = {skip} if isinstance(skip, str) else (skip or set())
        for name, value in self.form.cleaned_data.items():
            if name not in skip:
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    @property
    def qs(self):
        if not hasattr(self, "_qs"):
            self._qs = self.sort(self.filter_queryset(self.queryset.all()))
        return self._qs

    @property
    def sort_key(self) -> str:
        default = "relevance" if self.params.get("q") else "updated"
        key = self.params.get("sort", default)
        return default if key == "relevance" and not self.params.get("q") else key

    def sort(self, queryset):
        key = self.sort_key
        if key == "relevance":
            if connection.vendor == "postgresql":
                return queryset.annotate(
                    rank=SearchRank(F("search_document__vector"), web_search(self.params["q"]))
                ).order_by("-rank", "-updated_at", "-id")
            return queryset.order_by("-updated_at", "-id")
        if key == "start":
            return queryset.order_by(F("start_date").desc(nulls_last=True), "-id")
        if key == "enrollment":
            return queryset.annotate(
                enrollment_n=Coalesce("actual_enrollment", "target_enrollment")
            ).order_by(F("enrollment_n").desc(nulls_last=True), "-id")
        if key == "phase":
            ordered = [code for code in Phase.values if code != Phase.NA]
            rank = Case(
                *(When(phase=code, then=Value(i)) for i, code in enumerate(ordered)),
                default=Value(-1),
                output_field=IntegerField(),
            )
            return queryset.annotate(phase_rank=rank).order_by("-phase_rank", "-id")
        if key == "evidence":
            # Peer-reviewed results paper first, then results without one, then the rest: read
            # from the browse index, like the filters.
            def indexed(facet):
                return Exists(
                    FacetValue.objects.filter(trial_id=OuterRef("pk"), facet=facet, value="yes")
                )

            rank = Case(
                When(indexed("has_publication"), then=Value(2)),
                When(indexed("has_results"), then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
            return queryset.annotate(evidence_rank=rank).order_by(
                "-evidence_rank", "-updated_at", "-id"
            )
        return queryset.order_by("-updated_at", "-id")

    # -- the filters ----------------------------------------------------------------------

    def filter_q(self, queryset, name, value):
        if connection.vendor == "postgresql":
            return queryset.filter(search_document__vector=web_search(value))
        # SQLite: every word must appear in the search document (case-insensitive).
        for word in value.split():
            queryset = queryset.filter(search_text__icontains=word.strip("\"'"))
        return queryset

    # Every facet filters through the browse index (trials.models.index): one EXISTS each,
    # hierarchies and combined phases already expanded there.
    def _indexed(self, queryset, facet, values):
        return queryset.filter(
            pk__in=FacetValue.objects.filter(facet=facet, value__in=values).values("trial_id")
        )

    def filter_condition(self, queryset, name, value):
        return self._indexed(queryset, "condition", value)

    def filter_cell_type(self, queryset, name, value):
        return self._indexed(queryset, "cell_type", value)

    def filter_route(self, queryset, name, value):
        return self._indexed(queryset, "route", value)

    def filter_phase(self, queryset, name, value):
        return self._indexed(queryset, "phase", value)

    def filter_status(self, queryset, name, value):
        return self._indexed(queryset, "status", value)

    def filter_origin(self, queryset, name, value):
        return self._indexed(queryset, "origin", value)

    def filter_listing(self, queryset, name, value):
        return self._indexed(queryset, "listing", value)

    def filter_country(self, queryset, name, value):
        return self._indexed(queryset, "country", value)

    def filter_has_results(self, queryset, name, value):
        return self._indexed(queryset, "has_results", value)

    def filter_has_publication(self, queryset, name, value):
        return self._indexed(queryset, "has_publication", value)

    def filter_product(self, queryset, name, value):
        return self._indexed(queryset, "product", value)

    def filter_arm(self, queryset, name, value):
        return self._indexed(queryset, "arm", value)

    def filter_reported(self, queryset, name, value):
        return self._indexed(queryset, "reported", value)

    def filter_endpoint(self, queryset, name, value):
        return self._indexed(queryset, "endpoint", value)

    def filter_eligibility(self, queryset, name, value):
        # Within the trial's stated range, or no range stated (browse/eligibility.py).
        return queryset.filter(eligibility.matching(name, value))

    # Enrollment means the actual number when known, else the target (see Trial.enrollment).
    def filter_enrollment_min(self, queryset, name, value):
        return queryset.filter(
            Q(actual_enrollment__gte=value)
            | Q(actual_enrollment__isnull=True, target_enrollment__gte=value)
        )

    def filter_enrollment_max(self, queryset, name, value):
        return queryset.filter(
            Q(actual_enrollment__lte=value)
            | Q(actual_enrollment__isnull=True, target_enrollment__lte=value)
        )

    def filter_start_year_min(self, queryset, name, value):
        return queryset.filter(start_date__gte=datetime.date(int(value), 1, 1))

    def filter_start_year_max(self, queryset, name, value):
        return queryset.filter(start_date__lte=datetime.date(int(value), 12, 31))

    # -- the same, in Python, for the few trials awaiting review -------------------------
    #
    # Such a trial is filtered by its reviewed state (trials/public_state.py), which is not in
    # the database's columns: these say what the methods above say in SQL. A test runs both
    # over the same trials (tests/browse/test_public_state.py).
    def accepts(self, trial) -> bool:
        """Whether `trial` passes the active range and eligibility filters."""
        enrollment = (
            trial.actual_enrollment
            if trial.actual_enrollment is not None
            else trial.target_enrollment
        )
        start, follow_up = trial.start_date, trial.follow_up_months
        checks = {
            "enrollment_min": lambda v: enrollment is not None and enrollment >= v,
            "enrollment_max": lambda v: enrollment is not None and enrollment <= v,
            "follow_up_min": lambda v: follow_up is not None and follow_up >= v,
            "follow_up_max": lambda v: follow_up is not None and follow_up <= v,
            "start_year_min": lambda v: start is not None and start >= datetime.date(int(v), 1, 1),
            "start_year_max": lambda v: (
                start is not None and start <= datetime.date(int(v), 12, 31)
            ),
        }
        for name, value in self.form.cleaned_data.items():
            if value in (None, "", []):
                continue
            if name in checks and not checks[name](value):
                return False
            if name in eligibility.BY_NAME and not eligibility.accepts(trial, name, value):
                return False
        return True

    # Range and eligibility filters: the ones `accepts` decides.
    COLUMN_FILTERS = frozenset({*RANGES, "age", "edss", "alsfrs", "months_since_onset"})
