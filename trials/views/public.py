"""Public pages. Thin: querysets come from `TrialQuerySet`, filtering from `TrialFilter`."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect
from django.views.generic import DetailView, TemplateView
from django_filters.views import FilterView

from trials.filters import TrialFilter
from trials.models import CellType, Condition, Route, Trial


class TrialListView(FilterView):
    filterset_class = TrialFilter
    template_name = "trials/trial_list.html"
    context_object_name = "trials"

    def get_queryset(self):
        return Trial.objects.published().for_list()

    def get_paginate_by(self, queryset):
        try:
            size = int(self.request.GET.get("page_size", settings.TRIALS_PAGE_SIZE))
        except ValueError:
            size = settings.TRIALS_PAGE_SIZE
        return max(1, min(size, settings.TRIALS_MAX_PAGE_SIZE))


class TrialDetailView(DetailView):
    template_name = "trials/trial_detail.html"
    context_object_name = "trial"

    def get_queryset(self):
        return Trial.objects.published().for_detail()

    def get(self, request, *args, **kwargs):
        try:
            self.object = self.get_object()
        except Http404:
            # /trials/NCT03282760/ (any registry id) is a stable alias for the trial's page.
            trial = Trial.objects.published().with_registry_id(kwargs["slug"]).first()
            if trial is None:
                raise
            return redirect(trial)
        return self.render_to_response(self.get_context_data(object=self.object))


def _published_trial_ids_by_term(through, term_field: str) -> dict[int, set[int]]:
    """{term id: ids of published trials tagged with it}, in one query."""
    pairs = through.objects.filter(trial__in=Trial.objects.published()).values_list(
        term_field, "trial_id"
    )
    by_term: dict[int, set[int]] = {}
    for term_id, trial_id in pairs:
        by_term.setdefault(term_id, set()).add(trial_id)
    return by_term


def _tree_with_counts(terms, by_term: dict[int, set[int]]):
    """Top-level terms with children nested; each term's count includes its descendants'."""
    children: dict[int | None, list] = {}
    for term in terms:
        children.setdefault(term.parent_id, []).append(term)

    def build(term, depth):
        kids = [build(child, depth + 1) for child in children.get(term.pk, [])]
        ids = set(by_term.get(term.pk, set()))
        for kid in kids:
            ids |= kid["ids"]
        return {"term": term, "count": len(ids), "children": kids, "ids": ids, "depth": depth}

    return [build(term, 0) for term in children.get(None, [])]


class HomeView(TemplateView):
    template_name = "trials/home.html"

    def get_context_data(self, **kwargs):
        from trials.models import Intervention

        context = super().get_context_data(**kwargs)
        published = Trial.objects.published()
        context["trial_count"] = published.count()
        context["conditions"] = _tree_with_counts(
            list(Condition.objects.all()),
            _published_trial_ids_by_term(Trial.conditions.through, "condition_id"),
        )
        context["cell_types"] = _tree_with_counts(
            list(CellType.objects.all()),
            _published_trial_ids_by_term(Intervention, "cell_type_id"),
        )
        context["recent"] = published.for_list().order_by("-updated_at", "-id")[:6]
        return context


class TermDetailView(DetailView):
    """Browse page of one vocabulary term: what it means, narrower terms, and its trials."""

    template_name = "trials/term_detail.html"
    context_object_name = "term"
    filter_param: str

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        term = self.object
        filterset = TrialFilter(
            {self.filter_param: [term.slug]}, queryset=Trial.objects.published().for_list()
        )
        trials = filterset.qs
        context.update(
            kind=self.model._meta.verbose_name,
            children=list(term.children.all()) if hasattr(term, "children") else [],
            # The first page only; the full, filterable list is one link away.
            trials=trials[: settings.TRIALS_PAGE_SIZE],
            trial_count=trials.count(),
            list_url=f"/trials/?{self.filter_param}={term.slug}",
        )
        return context


class ConditionDetailView(TermDetailView):
    model = Condition
    filter_param = "condition"

    def get_queryset(self):
        return Condition.objects.select_related("parent")


class CellTypeDetailView(TermDetailView):
    model = CellType
    filter_param = "cell_type"

    def get_queryset(self):
        return CellType.objects.select_related("parent")


class RouteDetailView(TermDetailView):
    model = Route
    filter_param = "route"
