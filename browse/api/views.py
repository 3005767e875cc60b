"""The API's views: thin, like the pages'. Parameters go through `TrialFilter` (its messages
become 400s), counts through the facet bitmaps, numbers through `browse.stats`."""

import json
import re

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from browse.api import serializers as shapes
from browse.conditional import catalogue_conditional, trial_conditional
from browse.facets import build_facets
from browse.filters import FACETS, LABELS, RANGES, SORT_CHOICES, TrialFilter, Vocabulary
from browse.results import Results
from browse.stats import catalogue_numbers
from trials.models import Trial
from trials.public_record import stored_documents
from trials.public_state import public_lookup

ARRAY_PARAMS = {
    "condition": "condition slug; a broader term includes narrower ones (`ms` includes `spms`)",
    "cell_type": "cell type slug (`msc` includes `msc-ntf`)",
    "route": "route slug",
    "phase": "ClinicalTrials.gov code, e.g. PHASE2 (also matches PHASE1_PHASE2, PHASE2_PHASE3)",
    "status": "ClinicalTrials.gov overall status, e.g. RECRUITING",
    "origin": "autologous, allogeneic or unknown",
    "listing": "trial, study or clinic",
    "country": "ISO 3166 code of a site",
    "has_results": "yes or no",
}
LIST_PARAMETERS = [
    *(
        OpenApiParameter(
            name,
            {"type": "array", "items": {"type": "string"}},
            explode=True,
            description=f"{text}. Repeat for OR; different parameters AND.",
        )
        for name, text in ARRAY_PARAMS.items()
    ),
    *(
        OpenApiParameter(
            name, OpenApiTypes.STR, description=f"{label}: a whole number from {low} to {high}"
        )
        for name, (label, low, high) in RANGES.items()
    ),
    OpenApiParameter("q", OpenApiTypes.STR, description="free-text search (up to 200 characters)"),
    OpenApiParameter("sort", OpenApiTypes.STR, enum=[key for key, _ in SORT_CHOICES]),
    OpenApiParameter("page", OpenApiTypes.STR, description="1, 2, …"),
    OpenApiParameter("page_size", OpenApiTypes.STR, description="1 to 100 (default 25)"),
    OpenApiParameter(
        "facets",
        OpenApiTypes.STR,
        description="comma-separated facets to count, e.g. `condition,cell_type`: "
        + ", ".join(FACETS),
    ),
]
WHOLE = re.compile(r"[0-9]{1,9}")
# Every endpoint may refuse a client that sent too many requests (settings.API_RATE_LIMIT).
THROTTLED = {
    429: OpenApiResponse(
        shapes.Errors, description="Too many requests from this address: wait Retry-After seconds"
    )
}


def _base_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _errors(problems, status=400) -> Response:
    return Response({"errors": problems}, status=status)


def _page_args(request, problems: list[str]) -> tuple[int, int, list[str]]:
    raw_size = request.GET.get("page_size", "").strip()
    size = settings.TRIALS_PAGE_SIZE
    if raw_size:
        if WHOLE.fullmatch(raw_size) and 1 <= int(raw_size) <= settings.TRIALS_MAX_PAGE_SIZE:
            size = int(raw_size)
        else:
            problems.append(
                f"{LABELS['page_size']}: “{raw_size[:60]}” is not a whole number from 1 to "
                f"{settings.TRIALS_MAX_PAGE_SIZE}."
            )
    raw_page = request.GET.get("page", "1").strip() or "1"
    page = int(raw_page) if WHOLE.fullmatch(raw_page) else 0
    if page < 1:
        problems.append(f"There is no page “{raw_page[:20]}”.")
    wanted = [name.strip() for name in request.GET.get("facets", "").split(",") if name.strip()]
    for name in wanted:
        if name not in FACETS:
            problems.append(
                f"Facets: there is no “{name[:60]}” facet; choose from {', '.join(FACETS)}."
            )
    return page, size, [name for name in FACETS if name in wanted]


def _facet_json(facets, wanted) -> dict:
    return {
        facet.name: [
            {
                "value": o.value,
                "label": o.label,
                "count": o.count,
                "selected": o.selected,
                "depth": o.depth,
            }
            for o in facet.options
        ]
        for facet in facets
        if facet.name in wanted
    }


@method_decorator(catalogue_conditional, name="get")
class TrialListView(APIView):
    @extend_schema(
        operation_id="trials_list",
        summary="Published trials, filtered like the list page",
        parameters=LIST_PARAMETERS,
        responses={200: shapes.TrialPage, 400: shapes.Errors, **THROTTLED},
    )
    def get(self, request):
        vocabulary = Vocabulary()
        filterset = TrialFilter(
            request.GET, queryset=Trial.objects.published(), vocabulary=vocabulary
        )
        problems = list(filterset.problems)
        page, size, wanted = _page_args(request, problems)
        if problems:
            return _errors(problems)
        # Matching, counting and ordering in memory as on the list page: no COUNT(*), and
        # the page's stored records read by primary key.
        results = Results(filterset)
        facets, total = build_facets(filterset, results)
        pages = max(1, -(-total // size))
        if page > pages:
            return _errors([f"There is no page “{page}”; the last is {pages}."])
        start = (page - 1) * size
        page_ids = results.ordered()[start : start + size]
        records = [json.loads(doc) for doc in stored_documents(page_ids, _base_url(request))]
        url = request.build_absolute_uri(request.path)

        def link(number):
            params = request.GET.copy()
            params["page"] = str(number)
            return f"{url}?{params.urlencode()}"

        body = {
            "count": total,
            "next": link(page + 1) if page < pages else None,
            "previous": link(page - 1) if page > 1 else None,
            "results": records,
        }
        if wanted:
            body["facets"] = _facet_json(facets, wanted)
        return Response(body)


@method_decorator(trial_conditional, name="get")
class TrialDetailView(APIView):
    @extend_schema(
        operation_id="trial_retrieve",
        summary="One published trial, by its slug or any of its registry ids",
        responses={200: shapes.TrialRecord, 404: shapes.Errors, **THROTTLED},
    )
    def get(self, request, slug):
        # As last reviewed, by its slug or any registry id (trials/public_state.py).
        trial = public_lookup(Trial.objects.published().for_export(), slug)
        if trial is None:
            raise NotFound(f"There is no published trial “{slug[:60]}”.")
        return Response(shapes.TrialRecord(trial, context={"base_url": _base_url(request)}).data)


class _VocabularyView(APIView):
    kind = ""

    @extend_schema(responses={200: shapes.Term(many=True), **THROTTLED})
    def get(self, request):
        vocabulary = Vocabulary()
        published = Trial.objects.published()
        facets, _total = build_facets(TrialFilter(None, queryset=published, vocabulary=vocabulary))
        counts = {o.value: o.count for f in facets if f.name == self.kind for o in f.options}
        terms = [term for term, _depth in vocabulary.tree(self.kind)]
        slugs = {term.pk: term.slug for term in terms}
        base = _base_url(request)
        return Response(
            [
                {
                    "slug": term.slug,
                    "name": term.name,
                    "description": term.description,
                    "parent": slugs.get(getattr(term, "parent_id", None)),
                    "children": [t.slug for t in terms if getattr(t, "parent_id", None) == term.pk],
                    "mesh_id": getattr(term, "mesh_id", "") or None,
                    "trials": counts.get(term.slug, 0),
                    "url": base + term.get_absolute_url(),
                }
                for term in terms
            ]
        )


@method_decorator(catalogue_conditional, name="get")
class ConditionListView(_VocabularyView):
    kind = "condition"


@method_decorator(catalogue_conditional, name="get")
class CellTypeListView(_VocabularyView):
    kind = "cell_type"


@method_decorator(catalogue_conditional, name="get")
class RouteListView(_VocabularyView):
    kind = "route"


@method_decorator(catalogue_conditional, name="get")
class StatsView(APIView):
    @extend_schema(
        summary="The numbers behind the home page's charts",
        responses={200: shapes.Stats, **THROTTLED},
    )
    def get(self, request):
        numbers = catalogue_numbers()

        def counts(name, top_level_only=False):
            return [
                {"value": o.value, "label": o.label, "count": o.count}
                for o in numbers.facets[name].options
                if not top_level_only or o.depth == 0
            ]

        return Response(
            {
                "trials": numbers.total,
                "clinic_offerings": numbers.clinic_offerings,
                "by_phase": [
                    {"value": code, "label": label, "count": n} for code, label, n in numbers.phases
                ],
                "by_cell_type": counts("cell_type", top_level_only=True),
                "by_route": counts("route"),
                "by_start_year": [
                    {"value": str(year), "label": str(year), "count": n}
                    for year, n in numbers.start_years
                ],
            }
        )


class RootView(APIView):
    @extend_schema(exclude=True)
    def get(self, request):
        names = ["trials", "conditions", "cell-types", "routes", "stats", "schema", "docs"]
        return Response(
            {name: request.build_absolute_uri(reverse(f"api:{name}")) for name in names}
        )


class NotFoundView(APIView):
    """Any other address under /api/: a JSON 404, not the HTML page."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        raise NotFound("There is no API endpoint at this address.")


def docs(request):
    """Swagger UI from our own static files; started by a static script (strict CSP)."""
    return render(request, "api/docs.html", {"schema_url": reverse("api:schema")})
