"""What the home page's charts count, as plain rows for trials/charts.py (issue 9).

Kept apart from the view so the counting rules are written down once and tested alone:
- years run without gaps from the first start year to the last (a year with no trial is a
  zero, not a missing bar that makes the axis lie);
- a trial counts once per chart: under its cell-type family (the top-level term of its arms'
  cell types), under "Several families" when its arms span more than one, and under
  "Not stated" when no arm names a cell type.
"""

from collections import Counter, defaultdict

from django.db.models import Q

from browse.charts import short_label, stacked_bar_chart
from trials.public_state import ARMS_CELL_TYPE, AWAITING, reviewed_rows

SEVERAL = "Several families"
NOT_STATED = "Not stated"


def continuous_years(counts: dict[int, int]) -> list[tuple[int, int]]:
    """{2001: 1, 2005: 2} → [(2001, 1), (2002, 0), …, (2005, 2)]."""
    if not counts:
        return []
    return [(year, counts.get(year, 0)) for year in range(min(counts), max(counts) + 1)]


def family_of(cell_type_id: int, parents: dict[int, int | None]) -> int:
    """The top-level term above (or equal to) a cell type, by ids; stops on a cycle."""
    seen = {cell_type_id}
    while parents.get(cell_type_id) is not None and parents[cell_type_id] not in seen:
        cell_type_id = parents[cell_type_id]
        seen.add(cell_type_id)
    return cell_type_id


def start_years_by_family(
    rows, cell_types
) -> tuple[list[str], list[tuple[int, list[int]]], dict[str, str]]:
    """rows: (trial id, start year, cell type id or None), one per arm (a trial without arms
    gives one row with None). cell_types: every CellType. Returns the series labels (families
    by name, then "Several families", "Not stated" when used), one (year, values) per year
    without gaps, and each family label's slug (for links)."""
    parents = {term.pk: term.parent_id for term in cell_types}
    terms = {term.pk: term for term in cell_types}
    year_of: dict[int, int] = {}
    families: dict[int, set[int]] = defaultdict(set)
    for trial_id, year, cell_type_id in rows:
        year_of[trial_id] = year
        if cell_type_id is not None:
            families[trial_id].add(family_of(cell_type_id, parents))
    per_year: dict[int, Counter] = defaultdict(Counter)
    for trial_id, year in year_of.items():
        found = families.get(trial_id, set())
        if not found:
            key = NOT_STATED
        elif len(found) > 1:
            key = SEVERAL
        else:
            key = terms[next(iter(found))].name
        per_year[year][key] += 1
    used = {key for counter in per_year.values() for key in counter}
    top_level = sorted(
        (term for term in cell_types if term.parent_id is None), key=lambda t: t.name.lower()
    )
    series = [term.name for term in top_level if term.name in used]
    series += [key for key in (SEVERAL, NOT_STATED) if key in used]
    years = continuous_years({year: sum(c.values()) for year, c in per_year.items()})
    table = [(year, [per_year[year][name] for name in series]) for year, _total in years]
    slugs = {term.name: term.slug for term in top_level}
    return series, table, slugs


def start_year_family_chart(published, cell_types, list_url: str):
    """The stacked chart 'Trials by start year and cell-type family' (one query)."""
    dated = Q(start_date__isnull=False) | Q(**{AWAITING: True})
    found = published.filter(dated).order_by().values("pk", "start_date", ARMS_CELL_TYPE, AWAITING)
    rows = [
        (row["pk"], row["start_date"].year, row[ARMS_CELL_TYPE])
        for row in reviewed_rows(found, ["start_date", ARMS_CELL_TYPE])
        if row["start_date"]
    ]
    series, table, _slugs = start_years_by_family(rows, cell_types)
    return stacked_bar_chart(
        "start-year-family",
        "Trials by start year and cell-type family",
        "Start year",
        [short_label(name) for name in series],
        [
            (str(year), f"{list_url}?start_year_min={year}&start_year_max={year}", values)
            for year, values in table
        ],
    )
