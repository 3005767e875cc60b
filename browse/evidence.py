"""Safety and outcomes across a condition's trials, by cell type × route
(`/conditions/<slug>/evidence/`).

Every number is computed from the browse index's rows, the same rows the list filters on, so
each number links to the list that produced it: a cell is `condition=<slug>&arm=<cell
type>:<route>` (the same arm got those cells by that route), and a number adds one filter
(`has_results=yes`, `reported=saes`, `endpoint=met` …). Published trials only (the index
holds nothing else). Queries: a fixed handful, whatever the number of trials.
"""

import datetime
import functools
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.urls import reverse

from browse.chart_data import NOT_STATED, SEVERAL, family_of
from trials.models import FacetValue, Phase, Trial
from trials.public_state import ARMS_CELL_TYPE, AWAITING, reviewed_rows

PHASES = dict(Phase.choices)

ENDPOINTS = ("met", "not_met", "not_reported")
SORTS = {
    "cells": "Cells and route",
    "trials": "Trials",
    "participants": "Participants treated",
    "results": "With results",
    "saes": "Serious adverse events",
    "related_saes": "Treatment-related SAEs",
    "deaths": "Deaths",
    "met": "Primary endpoint met",
}


@dataclass
class Count:
    """A number with the list that produced it; `of` = how many trials reported it."""

    value: int
    url: str
    reporting: int | None = None
    reporting_url: str = ""


@dataclass
class Cell:
    arm: str  # "msc:intrathecal"
    cell_type: str
    route: str
    trial_ids: set[int] = field(default_factory=set)
    numbers: dict[str, Count] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.cell_type}, {self.route}"


def _url(list_url: str, condition: str, arm: str, **extra) -> str:
    return f"{list_url}?{urlencode({'condition': condition, 'arm': arm, **extra})}"


def evidence_rows(condition_slug: str, vocabulary, list_url: str) -> tuple[list[Cell], dict]:
    """The table's rows (unsorted) and the facts of each trial in it, by id (for the map)."""
    condition_trials = FacetValue.objects.filter(facet="condition", value=condition_slug).values(
        "trial_id"
    )
    index = FacetValue.objects.filter(
        trial_id__in=condition_trials, facet__in=["arm", "endpoint"]
    ).values_list("trial_id", "facet", "value")
    cells: dict[str, Cell] = {}
    endpoint: dict[int, str] = {}
    cell_names = {t.slug: t.name for t in vocabulary.terms["cell_type"]}
    route_names = {t.slug: t.name for t in vocabulary.terms["route"]}
    for trial_id, facet, value in index.order_by():
        if facet == "endpoint":
            endpoint[trial_id] = value
            continue
        if value not in cells:
            cell, _sep, route = value.partition(":")
            cells[value] = Cell(
                value, cell_names.get(cell, cell), route_names.get(route, "route not stated")
            )
        cells[value].trial_ids.add(trial_id)
    ids = set().union(*(cell.trial_ids for cell in cells.values())) if cells else set()
    fields = [
        "actual_enrollment",
        "target_enrollment",
        "has_results",
        "serious_adverse_events",
        "treatment_related_saes",
        "deaths",
    ]
    found = Trial.objects.published().filter(pk__in=ids).values("pk", *fields, AWAITING)
    trials = {t["pk"]: t for t in reviewed_rows(found, fields)}
    for trial_id, facts in trials.items():
        facts["endpoint"] = endpoint.get(trial_id, "not_reported")
    for cell in cells.values():
        cell.trial_ids &= set(trials)  # belt and braces: published only
        cell.numbers = _numbers(
            [trials[i] for i in cell.trial_ids],
            functools.partial(_url, list_url, condition_slug, cell.arm),
        )
    return [cell for cell in cells.values() if cell.trial_ids], trials


def _numbers(members: list[dict], url) -> dict[str, Count]:
    """One row's numbers; `url(**filters)` is the list that produced each."""

    def summed(field_name, reported):
        known = [t[field_name] for t in members if t[field_name] is not None]
        return Count(sum(known), url(reported=reported), len(known), url(reported=reported))

    return {
        "trials": Count(len(members), url()),
        "participants": summed("actual_enrollment", "enrollment"),
        "results": Count(sum(1 for t in members if t["has_results"]), url(has_results="yes")),
        "saes": summed("serious_adverse_events", "saes"),
        "related_saes": summed("treatment_related_saes", "related_saes"),
        "deaths": summed("deaths", "deaths"),
        **{
            verdict: Count(
                sum(1 for t in members if t["endpoint"] == verdict), url(endpoint=verdict)
            )
            for verdict in ENDPOINTS
        },
    }


def sort_rows(rows: list[Cell], key: str, descending: bool) -> list[Cell]:
    if key == "cells" or key not in SORTS:
        return sorted(rows, key=lambda c: c.label.lower(), reverse=descending)
    return sorted(rows, key=lambda c: (c.numbers[key].value, c.label.lower()), reverse=descending)


CSV_HEADER = [
    "cell_type",
    "route",
    "trials",
    "participants_treated",
    "trials_reporting_participants",
    "trials_with_results",
    "serious_adverse_events",
    "trials_reporting_saes",
    "treatment_related_saes",
    "trials_reporting_related_saes",
    "deaths",
    "trials_reporting_deaths",
    "primary_endpoint_met",
    "primary_endpoint_not_met",
    "primary_endpoint_not_reported",
    "list_url",
]


def csv_rows(rows: list[Cell], base_url: str):
    for cell in rows:
        n = cell.numbers
        yield [
            cell.cell_type,
            cell.route,
            n["trials"].value,
            n["participants"].value,
            n["participants"].reporting,
            n["results"].value,
            n["saes"].value,
            n["saes"].reporting,
            n["related_saes"].value,
            n["related_saes"].reporting,
            n["deaths"].value,
            n["deaths"].reporting,
            n["met"].value,
            n["not_met"].value,
            n["not_reported"].value,
            base_url + n["trials"].url,
        ]


def map_points(trial_ids, vocabulary) -> tuple[list[dict], list[str], list[dict]]:
    """The evidence map's circles (trials with a start date), its families in legend order,
    and the trials it could not place (no start date). One query."""
    cell_types = vocabulary.terms["cell_type"]
    parents = {t.pk: t.parent_id for t in cell_types}
    names = {t.pk: t.name for t in cell_types}
    trials: dict[int, dict] = {}
    fields = [
        "slug", "title", "acronym", "phase", "start_date", "actual_enrollment",
        "target_enrollment", ARMS_CELL_TYPE,
    ]  # fmt: skip
    found = Trial.objects.published().filter(pk__in=trial_ids).values("pk", *fields, AWAITING)
    rows = reviewed_rows(found, fields)
    rows.sort(
        key=lambda r: (r["start_date"] is None, r["start_date"] or datetime.date.min, r["pk"])
    )
    for row in rows:
        trial = trials.setdefault(row["pk"], {**row, "families": set()})
        if row[ARMS_CELL_TYPE]:
            trial["families"].add(names[family_of(row[ARMS_CELL_TYPE], parents)])
    points, undated = [], []
    for trial in trials.values():
        families = trial["families"]
        family = next(iter(families)) if len(families) == 1 else SEVERAL if families else NOT_STATED
        actual, target = trial["actual_enrollment"], trial["target_enrollment"]
        point = {
            "label": trial["acronym"] or trial["title"],
            "url": reverse("trials:trial-detail", kwargs={"slug": trial["slug"]}),
            "phase": trial["phase"],
            "phase_label": PHASES.get(trial["phase"], "Not stated"),
            "participants": actual if actual is not None else target,
            "participants_kind": "treated" if actual is not None else "planned" if target else "",
            "family": family,
            "year": trial["start_date"].year if trial["start_date"] else None,
        }
        (points if point["year"] else undated).append(point)
    order = sorted({p["family"] for p in points} - {SEVERAL, NOT_STATED})
    order += [name for name in (SEVERAL, NOT_STATED) if any(p["family"] == name for p in points)]
    return points, order, undated
