"""Public pages: home, the trial list and the browse pages. Thin: querysets come from
`TrialQuerySet`, filtering from `TrialFilter`, counts from `facets`, chart geometry from
`charts`."""

import re
from urllib.parse import urlencode

from django.conf import settings
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.generic import ListView, TemplateView

from browse import eligibility, fragments
from browse.bitmaps import IndexBitmaps
from browse.cards import cards
from browse.chart_data import continuous_years, start_year_family_chart
from browse.charts import bar_chart, short_label
from browse.conditional import catalogue_conditional
from browse.facets import build_facets
from browse.filters import LABELS, RANGES, SORT_CHOICES, TrialFilter, Vocabulary, describe
from browse.results import ResultRows, Results
from browse.stats import catalogue_numbers
from trials.models import CellType, Condition, Route, Trial
from trials.public_state import public_lookup

REGISTRY_ID = re.compile(
    r"^(NCT\d{8}|\d{4}-\d{6}-\d{2}|\d{4}-5\d{5}-\d{2}-\d{2}|ISRCTN\d{8})$", re.IGNORECASE
)
PAGE_SIZES = (10, 25, 50, 100)


def querystring(params: QueryDict, **changes) -> str:
    """'?a=1&b=2' of `params` with `changes` applied (None removes); '' when nothing is left."""
    data = params.copy()
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    encoded = data.urlencode()
    return f"?{encoded}" if encoded else ""


def active_chips(params: QueryDict, facets) -> list[dict]:
    """Each active filter value as a chip with the URL that removes just that value."""
    labels = {facet.name: {o.value: o.label for o in facet.options} for facet in facets}
    base = params.copy()
    base.pop("page", None)
    chips = []

    def without(name, value):
        data = base.copy()
        data.setlist(name, [v for v in data.getlist(name) if v != value])
        encoded = data.urlencode()
        return f"?{encoded}" if encoded else "?"

    if base.get("q"):
        chips.append({"label": f"{LABELS['q']}: “{base['q']}”", "url": without("q", base["q"])})
    for name, values in labels.items():
        for value in base.getlist(name):
            chips.append(
                {
                    "label": f"{LABELS[name]}: {values.get(value, value)}",
                    "url": without(name, value),
                }
            )
    for name, (label, _low, _high) in RANGES.items():
        if base.get(name):
            chips.append({"label": f"{label}: {base[name]}", "url": without(name, base[name])})
    for question in eligibility.QUESTIONS:
        if base.get(question.name):
            value = base[question.name]
            chips.append(
                {"label": f"{question.chip}: {value}", "url": without(question.name, value)}
            )
    return chips


@method_decorator(catalogue_conditional, name="get")
class TrialListView(ListView):
    """The faceted list. Plain GET form: every state has a URL; works without JavaScript."""

    template_name = "trials/trial_list.html"
    context_object_name = "trials"
    page_problem = ""

    def get_base_params(self) -> QueryDict:
        return self.request.GET

    def get(self, request, *args, **kwargs):
        self.vocabulary = Vocabulary()
        self.filterset = TrialFilter(
            self.get_base_params(),
            queryset=Trial.objects.published().for_list(),
            vocabulary=self.vocabulary,
        )
        query = self.filterset.params.get("q", "")
        if REGISTRY_ID.match(query):
            # A registry id goes straight to its trial.
            trial = public_lookup(Trial.objects.published(), query)
            if trial is not None:
                return redirect(trial)
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        # Filters, counts and order come from the in-memory index; a page loads its own
        # trials by primary key (browse/results.py).
        self.results = Results(self.filterset)
        return ResultRows(self.results, lambda ids: cards(ids, self.vocabulary))

    def get_paginator(self, queryset, per_page, **kwargs):
        # The facets already counted the matching trials; a COUNT(*) would repeat the work.
        self.facets, total = build_facets(self.filterset, self.results)
        paginator = super().get_paginator(queryset, per_page, **kwargs)
        paginator.count = total
        return paginator

    def get_paginate_by(self, queryset):
        try:
            size = int(self.request.GET.get("page_size", settings.TRIALS_PAGE_SIZE))
        except ValueError:
            return settings.TRIALS_PAGE_SIZE
        return max(1, min(size, settings.TRIALS_MAX_PAGE_SIZE))

    def paginate_queryset(self, queryset, page_size):
        # An impossible page (page=abc, page=999999) shows the nearest real page and says so,
        # rather than answering 404 to a link someone shared.
        paginator = self.get_paginator(queryset, page_size)
        raw = self.request.GET.get("page", "1")
        number = int(raw) if re.fullmatch(r"[0-9]{1,9}", raw) else 0
        if not 1 <= number <= paginator.num_pages:
            target = paginator.num_pages if number > paginator.num_pages else 1
            if raw != "1" and paginator.count:
                self.page_problem = f"There is no page “{raw[:20]}”; showing page {target}."
            number = target
        page = paginator.page(number)
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.filterset.params
        facets = self.facets
        export_query = querystring(params, page=None)
        context.update(
            filter=self.filterset,
            facets=facets,
            chips=active_chips(params, facets),
            problems=self.filterset.problems + ([self.page_problem] if self.page_problem else []),
            query=params.get("q", ""),
            ranges=[
                {
                    "name": name,
                    "label": label,
                    "min": low,
                    "max": high,
                    "value": params.get(name, ""),
                }
                for name, (label, low, high) in RANGES.items()
            ],
            sort_choices=[c for c in SORT_CHOICES if c[0] != "relevance" or params.get("q")],
            sort_key=self.filterset.sort_key,
            page_sizes=PAGE_SIZES,
            page_size=context["paginator"].per_page,
            csv_url=reverse("trials:export-csv") + export_query,
            json_url=reverse("trials:export-json") + export_query,
            ris_url=reverse("trials:export-ris") + export_query,
            search_words=describe(params, self.vocabulary),
            feed_url=reverse("trials:feed") + querystring(params, page=None, sort=None),
            list_url=reverse("trials:trial-list"),
            canonical_url=self.request.build_absolute_uri(
                self.request.path + querystring(self.request.GET, page_size=None)
            ),
            panel=self.eligibility_panel(params),
        )
        answered = [q.name for q in eligibility.QUESTIONS if params.get(q.name)]
        if answered:
            for trial in context["trials"]:
                trial.eligibility_checks = eligibility.row_checks(trial, params)
            unknown = Trial.objects.published().filter(eligibility.not_stated_any(answered))
            count = self.results.count_among(
                unknown, judge=lambda trial: eligibility.states_none_any(trial, answered)
            )
            context["eligibility_note"] = eligibility.summary(count)
        # The filter form depends on nothing else (browse/fragments.py).
        key = (
            type(self).__name__,
            self.request.path,
            self.results.index.token,
            self.vocabulary.fingerprint,
            tuple(sorted((k, tuple(v)) for k, v in params.lists() if k != "page")),
            context["paginator"].per_page,
        )
        context["filters_form"] = fragments.rendered(
            "includes/_filters.html", key, context, self.request
        )
        return context

    def eligibility_panel(self, params) -> dict:
        """ "Could I take part?": the questions with their current answers; the form keeps the
        chosen conditions and pre-sets the status to recruiting and not yet recruiting."""
        return {
            "action": self.request.path,
            "conditions": params.getlist("condition") if self.panel_keeps_conditions else [],
            "statuses": eligibility.STATUS_PRESET,
            "questions": [
                {**vars(q), "value": params.get(q.name, "")}
                for q in eligibility.QUESTIONS
                if q.condition in ("", *self.panel_conditions(params))
            ],
        }

    panel_keeps_conditions = True

    def panel_conditions(self, params) -> tuple[str, ...]:
        # The MS question on MS pages, the ALS ones on ALS pages, all of them elsewhere.
        return ("ms", "als")


class TermTrialListView(TrialListView):
    """Browse page of one vocabulary term: what it means, narrower terms with counts, and the
    faceted list pre-filtered to it."""

    model = None
    param = ""
    template_name = "trials/term_detail.html"

    def get(self, request, *args, **kwargs):
        queryset = self.model.objects.all()
        if hasattr(self.model, "parent"):
            queryset = queryset.select_related("parent")
        self.term = get_object_or_404(queryset, slug=kwargs["slug"])
        return super().get(request, *args, **kwargs)

    def get_base_params(self):
        params = self.request.GET.copy()
        params.setlist(self.param, [self.term.slug])
        return params

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        facet = next(f for f in context["facets"] if f.name == self.param)
        counts = {option.value: option.count for option in facet.options}
        children = [
            {"term": term, "count": counts.get(term.slug, 0)}
            for term in self.vocabulary.terms[self.param]
            if getattr(term, "parent_id", None) == self.term.pk
        ]
        context.update(term=self.term, kind=self.model._meta.verbose_name, children=children)
        return context


class ConditionDetailView(TermTrialListView):
    model = Condition
    param = "condition"
    panel_keeps_conditions = False  # the page's own condition is in its address

    def panel_conditions(self, params):
        by_id = {t.pk: t for t in self.vocabulary.terms["condition"]}
        chain, term = set(), self.term
        while term is not None and term.slug not in chain:
            chain.add(term.slug)
            term = by_id.get(term.parent_id)
        asked = tuple(slug for slug in ("ms", "als") if slug in chain)
        return asked or ("ms", "als")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["evidence_url"] = reverse(
            "trials:condition-evidence", kwargs={"slug": self.term.slug}
        )
        return context


class CellTypeDetailView(TermTrialListView):
    model = CellType
    param = "cell_type"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Named products of this cell type (already loaded with the vocabularies).
        context["products"] = [
            p for p in self.vocabulary.terms["product"] if p.cell_type_id == self.term.pk
        ]
        return context


class RouteDetailView(TermTrialListView):
    model = Route
    param = "route"


class HomeView(TemplateView):
    template_name = "trials/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        numbers = catalogue_numbers()
        facets = numbers.facets
        list_url = reverse("trials:trial-list")

        def entry_points(name):
            return [
                {"option": option, "url": f"{list_url}?{urlencode({name: option.value})}"}
                for option in facets[name].options
            ]

        def chart(slug, title, name, top_level_only=False, short=False):
            rows = [
                (
                    short_label(option.label) if short else option.label,
                    option.count,
                    f"{list_url}?{urlencode({name: option.value})}",
                )
                for option in facets[name].options
                if not top_level_only or option.depth == 0
            ]
            return bar_chart(slug, title, rows)

        context.update(
            canonical_url=self.request.build_absolute_uri(reverse("trials:home")),
            trial_count=numbers.total,
            clinic_count=numbers.clinic_offerings,
            conditions=entry_points("condition"),
            cell_types=[e for e in entry_points("cell_type") if e["option"].depth <= 1],
            # The in-memory order, which holds each trial's reviewed date (public_state.py).
            recent=cards(IndexBitmaps.current().orders["updated"][:6].tolist(), numbers.vocabulary),
            charts=[
                bar_chart(
                    "phase",
                    "Trials by phase",
                    [(label, n, f"{list_url}?phase={code}") for code, label, n in numbers.phases],
                ),
                chart(
                    "cell-type", "Trials by cell type", "cell_type", top_level_only=True, short=True
                ),
                chart("route", "Trials by route of administration", "route"),
                bar_chart(
                    "start-year",
                    "Trials by start year",
                    [
                        # Every year from the first to the last, zeros included (issue 9).
                        (str(year), n, f"{list_url}?start_year_min={year}&start_year_max={year}")
                        for year, n in continuous_years(dict(numbers.start_years))
                    ],
                ),
            ],
            stacked_charts=[
                start_year_family_chart(
                    Trial.objects.published(), numbers.vocabulary.terms["cell_type"], list_url
                )
            ],
        )
        return context
