"""The numbers behind the home page's charts, for the home page and the API's `stats/`.

Counts come from the in-memory facet bitmaps (browse/facets.py), except two that must count
each trial once by its own value: its phase (the facet counts a phase 1/2 trial under phase 1
and phase 2 too, which is right for filtering only) and its start year.
"""

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count
from django.db.models.functions import ExtractYear
from django.http import QueryDict

from browse.facets import Facet, build_facets
from browse.filters import TrialFilter, Vocabulary
from trials.models import Phase, Trial
from trials.public_state import AWAITING, reviewed_rows


@dataclass
class CatalogueNumbers:
    total: int
    facets: dict[str, Facet]  # by parameter name, options in display order, unfiltered counts
    phases: list[tuple[str, str, int]]  # (code, label, trials), every phase in order
    start_years: list[tuple[int, int]]  # (year, trials), years with trials, ascending
    vocabulary: Vocabulary  # the terms the counts were made with (the home page's charts)

    @property
    def clinic_offerings(self) -> int:
        return {o.value: o.count for o in self.facets["listing"].options}.get("clinic", 0)


def catalogue_numbers() -> CatalogueNumbers:
    vocabulary = Vocabulary()
    published = Trial.objects.published()
    filterset = TrialFilter(QueryDict(), queryset=published, vocabulary=vocabulary)
    facet_list, total = build_facets(filterset)
    reviewed = published.filter(edited_since_review=False)
    phases = Counter(
        dict(reviewed.exclude(phase="").order_by().values_list("phase").annotate(n=Count("pk")))
    )
    years = Counter(
        dict(
            reviewed.filter(start_date__isnull=False)
            .annotate(year=ExtractYear("start_date"))
            .order_by()
            .values_list("year")
            .annotate(n=Count("pk"))
        )
    )
    # Trials awaiting review count by their reviewed values (trials/public_state.py).
    waiting = published.filter(edited_since_review=True).values(
        "pk", "phase", "start_date", AWAITING
    )
    for row in reviewed_rows(waiting, ["phase", "start_date"]):
        phases.update([row["phase"]] if row["phase"] else [])
        years.update([row["start_date"].year] if row["start_date"] else [])
    return CatalogueNumbers(
        total=total,
        facets={facet.name: facet for facet in facet_list},
        phases=[(code, label, phases.get(code, 0)) for code, label in Phase.choices],
        start_years=sorted(years.items()),
        vocabulary=vocabulary,
    )
