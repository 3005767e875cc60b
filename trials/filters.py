"""The one FilterSet: the public list, browse pages (and later the exports) all filter with it.

Parameters follow the URL contract in PRODUCT.md. Multi-valued parameters repeat
(`condition=ms&condition=als`) and are ORed within a facet, ANDed across facets. Hierarchical
vocabularies include descendants (`condition=ms` matches SPMS trials).
"""

import django_filters
from django import forms
from django.db.models import Q

from trials.models import CellType, Condition, Phase, RegistryId, Route, Status, Trial


def _slug_filter(model, label, method):
    return django_filters.ModelMultipleChoiceFilter(
        label=label,
        queryset=model.objects.all(),
        to_field_name="slug",
        method=method,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": f"There is no {label.lower()} “%(value)s” in the tracker.",
        },
    )


class TrialFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Search", method="filter_q")
    condition = _slug_filter(Condition, "Condition", "filter_condition")
    cell_type = _slug_filter(CellType, "Cell type", "filter_cell_type")
    route = _slug_filter(Route, "Route", "filter_route")
    phase = django_filters.MultipleChoiceFilter(
        label="Phase",
        choices=Phase.choices,
        method="filter_phase",
        widget=forms.CheckboxSelectMultiple,
    )
    status = django_filters.MultipleChoiceFilter(
        label="Status",
        field_name="status",
        choices=Status.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Trial
        fields = ["q", "condition", "cell_type", "route", "phase", "status"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        registry_match = RegistryId.objects.filter(identifier__iexact=value).values("trial_id")
        return queryset.filter(
            Q(title__icontains=value) | Q(acronym__icontains=value) | Q(pk__in=registry_match)
        )

    def filter_condition(self, queryset, name, value):
        if not value:
            return queryset
        ids = Condition.objects.with_descendants([term.slug for term in value])
        return queryset.with_condition_ids(ids)

    def filter_cell_type(self, queryset, name, value):
        if not value:
            return queryset
        ids = CellType.objects.with_descendants([term.slug for term in value])
        return queryset.with_cell_type_ids(ids)

    def filter_route(self, queryset, name, value):
        return queryset.with_route_ids([term.pk for term in value]) if value else queryset

    def filter_phase(self, queryset, name, value):
        return queryset.with_phases(value) if value else queryset
