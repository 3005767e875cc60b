"""Faceted browsing, search and exports: counts are right, drafts never leak, bad input never
answers 500, and the number of queries does not depend on the data."""

import csv
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import (
    MARKER,
    NOTE,
    PUBLIC_URLS,
    TrialFactory,
    approve_all,
    body_of,
    browse_catalogue,
    full_trial,
)
from trials import services
from trials.models import CellType, Trial, Workflow

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    return browse_catalogue()


def titles(response):
    return {t.title.removeprefix("Synthetic browse trial ") for t in response.context["trials"]}


def facet_map(response):
    return {f.name: {o.value: o.count for o in f.options} for f in response.context["facets"]}


# --- facets ---------------------------------------------------------------------------------

FILTER_CHOICES = {
    "condition": ["ms", "als", "spms", "progressive-ms"],
    "cell_type": ["msc", "nsc", "bm-msc", "hsc"],
    "route": ["intrathecal", "intravenous"],
    "phase": ["PHASE1", "PHASE2"],
    "status": ["COMPLETED", "RECRUITING"],
    "origin": ["autologous", "allogeneic"],
    "country": ["US", "IT"],
    "has_results": ["yes", "no"],
}


def membership(trial) -> dict[str, set[str]]:
    """Which option of each facet a trial belongs to, from the plain relations (not from the
    browse index the app counts with): the independent oracle for the facet tests."""
    from trials.models import Condition, Phase

    def with_ancestors(term):
        chain = set()
        while term is not None:
            chain.add(term.slug)
            term = term.parent
        return chain

    arms = list(trial.interventions.all())
    return {
        "condition": set().union(
            *(with_ancestors(Condition.objects.get(pk=c.pk)) for c in trial.conditions.all())
        ),
        "cell_type": set().union(
            *(
                with_ancestors(CellType.objects.get(pk=a.cell_type_id))
                for a in arms
                if a.cell_type_id
            )
        ),
        "route": {r.slug for a in arms for r in a.routes.all()},
        "phase": {code for code in Phase.values if trial.phase in Phase.matching(code)},
        "status": {trial.status} - {""},
        "origin": {a.origin for a in arms} - {""},
        "country": {s.country.code for s in trial.sites.all()},
        "has_results": {"yes" if trial.has_results else "no"},
    }


def expected_count(params: dict, facet: str, value: str) -> int:
    """Published trials matching every *other* filter (OR within, AND across) and `value`."""
    count = 0
    for trial in Trial.objects.filter(workflow=Workflow.PUBLISHED):
        member = membership(trial)
        others_match = all(
            member[name] & set(values) for name, values in params.items() if name != facet
        )
        count += others_match and value in member[facet]
    return count


def _querydict(params):
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    for key, values in params.items():
        data.setlist(key, values)
    return data


COMBINATIONS = [
    {},
    {"condition": ["als"]},
    {"condition": ["ms"], "route": ["intrathecal"]},
    {"cell_type": ["msc"], "status": ["COMPLETED"]},
    {"condition": ["ms", "als"], "phase": ["PHASE2"], "origin": ["autologous"]},
    {"country": ["US", "IT"], "has_results": ["yes"]},
]


@pytest.mark.parametrize("params", COMBINATIONS, ids=lambda p: "&".join(p) or "none")
def test_facet_counts_match_the_orm_given_the_other_filters(client, catalogue, params):
    query = _querydict(params).urlencode()
    counts = facet_map(client.get(f"/trials/?{query}"))
    for facet, values in FILTER_CHOICES.items():
        for value in values:
            assert counts[facet].get(value, 0) == expected_count(params, facet, value), (
                facet,
                value,
            )


def test_hierarchical_counts_count_each_trial_once(client, catalogue):
    counts = facet_map(client.get("/trials/"))
    # B is tagged SPMS and PPMS: once under progressive MS, once under MS.
    assert counts["condition"]["progressive-ms"] == 2
    assert counts["condition"]["ms"] == 4
    assert counts["cell_type"]["msc"] == 4  # C (MSC-NTF), D (UC-MSC), E and G (BM-MSC)
    assert counts["phase"]["PHASE2"] == 3  # E, F and G (phase 1/2)


def test_selected_options_with_no_results_stay_visible_and_muted(client, catalogue):
    response = client.get("/trials/?condition=als&route=intravenous")
    assert titles(response) == set()
    route = next(f for f in response.context["facets"] if f.name == "route")
    intravenous = next(o for o in route.options if o.value == "intravenous")
    assert intravenous.selected and intravenous.count == 0 and intravenous.muted
    html = response.content.decode()
    assert 'id="f-route-intravenous" checked' in html


def test_chips_remove_one_value_and_keep_the_rest(client, catalogue):
    response = client.get("/trials/?condition=als&condition=ms&phase=PHASE2&page=1")
    chips = {chip["label"]: chip["url"] for chip in response.context["chips"]}
    assert chips["Condition: Multiple sclerosis"] == "?condition=als&phase=PHASE2"
    assert chips["Phase: Phase 2"] == "?condition=als&condition=ms"
    assert "Clear all filters" in response.content.decode()


def test_ranges_filter_enrollment_follow_up_and_start_year(client, catalogue):
    assert titles(client.get("/trials/?enrollment_min=100")) == {"C", "F", "G"}
    assert titles(client.get("/trials/?enrollment_min=40&enrollment_max=100")) == {"D", "E"}
    assert titles(client.get("/trials/?follow_up_min=12&follow_up_max=12")) == {"A"}
    assert titles(client.get("/trials/?start_year_min=2015")) == {"F", "G"}
    assert titles(client.get("/trials/?start_year_min=2011&start_year_max=2012")) == {"B", "C"}


def test_swapped_range_is_corrected_and_said(client, catalogue):
    response = client.get("/trials/?enrollment_min=100&enrollment_max=40")
    assert titles(response) == {"D", "E"}
    assert "swapped them" in response.content.decode()


def test_listing_country_origin_and_results_filters(client, catalogue):
    assert titles(client.get("/trials/?country=US")) == {"C", "F"}
    assert titles(client.get("/trials/?origin=allogeneic")) == {"A", "B"}
    assert titles(client.get("/trials/?has_results=yes")) == {"A", "C", "E", "G"}
    assert titles(client.get("/trials/?listing=clinic")) == set()


@pytest.mark.parametrize(
    "sort, first",
    [("start", "G"), ("enrollment", "C"), ("phase", "C"), ("updated", "G")],
)
def test_sorting(client, catalogue, sort, first):
    response = client.get(f"/trials/?sort={sort}")
    assert next(iter(response.context["trials"])).title.endswith(f" {first}")


def test_pagination_keeps_filters_and_sort(client, catalogue):
    html = client.get("/trials/?condition=als&sort=start&page_size=2").content.decode()
    assert 'href="?condition=als&amp;sort=start&amp;page_size=2&amp;page=2"' in html


# --- drafts never leak ------------------------------------------------------------------------


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_unpublished_trials_never_appear_in_any_public_response(client, catalogue, url):
    response = client.get(url)
    assert response.status_code == 200
    body = body_of(response)
    assert MARKER.encode() not in body
    assert b"NCT9990000" not in body
    assert NOTE.encode() not in body  # curator notes are private on every trial


def test_searching_for_a_draft_finds_nothing(client, catalogue):
    assert titles(client.get(f"/trials/?q={MARKER}")) == set()
    assert read_json(client.get(f"/trials/export.json?q={MARKER}")) == []


def test_unpublished_trials_are_not_on_the_new_pages_or_in_their_numbers(client, catalogue):
    product = client.get("/products/synthetic-product-1/").context
    assert [t.title for t in product["trials"]] == ["Synthetic browse trial C"]
    assert product["treated_total"] == 196
    evidence = client.get("/conditions/als/evidence/").context
    assert evidence["trial_count"] == 3
    row = next(r for r in evidence["rows"] if r.arm == "msc-ntf:intrathecal")
    assert row.numbers["trials"].value == 1
    assert row.numbers["participants"].value == 196
    fits = client.get("/trials/?age=55&months_since_onset=30&condition=als")
    assert titles(fits) == {"C", "D", "E"}  # no range stated: shown; drafts never


def test_unpublished_trials_are_not_counted(client, catalogue):
    counts = facet_map(client.get("/trials/"))
    assert counts["country"].get("BG", 0) == 0
    assert counts["route"]["intraspinal"] == 0
    assert counts["condition"]["als"] == 3
    assert client.get("/").context["trial_count"] == 7


# --- exports --------------------------------------------------------------------------------


def read_csv(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def read_json(response):
    return json.loads(b"".join(response.streaming_content))


@pytest.mark.parametrize(
    "query", ["", "condition=als", "cell_type=msc&route=intrathecal", "q=Synthetic&sort=enrollment"]
)
def test_exports_equal_the_filtered_list(client, catalogue, query):
    listed = [t.slug for t in client.get(f"/trials/?{query}&page_size=100").context["trials"]]
    csv_response = client.get(f"/trials/export.csv?{query}")
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert [row["slug"] for row in read_csv(csv_response)] == listed
    assert [item["slug"] for item in read_json(client.get(f"/trials/export.json?{query}"))] == (
        listed
    )


def test_json_export_schema(client, catalogue):
    items = read_json(client.get("/trials/export.json?condition=als&sort=enrollment"))
    first = items[0]
    assert first["registry_ids"] == ["NCT00000002"]
    assert first["conditions"] == ["als"]
    assert first["cell_types"] == ["msc-ntf"]
    assert first["routes"] == ["intrathecal"]
    assert first["origins"] == ["autologous"]
    assert first["phase"] == "PHASE3" and first["status"] == "COMPLETED"
    assert first["actual_enrollment"] == 196
    assert first["url"].endswith(first["slug"] + "/")
    for key in [
        "title",
        "acronym",
        "listing_type",
        "target_enrollment",
        "follow_up_months",
        "start_date",
        "interventions",
        "outcomes",
        "publications",
        "updated_at",
    ]:
        assert key in first
    arm = first["interventions"][0]
    assert set(arm) >= {"cell_type", "origin", "routes", "dose_min", "dose_max", "dose_unit"}


def test_csv_neutralises_formulas(client):
    trial = TrialFactory(title='=HYPERLINK("http://evil")', acronym="+SUM(A1)")
    services.registry_id_add(trial=trial, registry="other", identifier="@cmd")
    approve_all()
    row = read_csv(client.get("/trials/export.csv"))[0]
    assert row["title"] == '\'=HYPERLINK("http://evil")'
    assert row["acronym"] == "'+SUM(A1)"
    assert row["registry_ids"] == "'@cmd"


def test_csv_carries_publication_dois(client):
    full_trial(3)
    row = read_csv(client.get("/trials/export.csv"))[0]
    assert row["publication_dois"] == "10.5555/synthetic.3"
    assert row["registry_ids"] == "NCT90000003; 2020-000003-11"
    assert row["has_results"] == "no"


@pytest.mark.parametrize(
    "url", ["/trials/export.csv?enrollment_min=abc", "/trials/export.json?condition=nope"]
)
def test_exports_refuse_bad_filters_with_400(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert b"Participants from" in response.content or b"nope" in response.content


def test_export_queries_do_not_grow_with_rows(client):
    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
            b"".join(response.streaming_content)
        return len(ctx.captured_queries)

    for n in range(3):
        full_trial(n)
    few = (count("/trials/export.csv"), count("/trials/export.json"))
    for n in range(3, 30):
        full_trial(n)
    assert (count("/trials/export.csv"), count("/trials/export.json")) == few


def test_download_links_carry_the_current_filters(client, catalogue):
    html = client.get("/trials/?condition=als&sort=start&page=1").content.decode()
    assert 'href="/trials/export.csv?condition=als&amp;sort=start"' in html
    assert 'href="/trials/export.json?condition=als&amp;sort=start"' in html


# --- query counts and SQL shape -----------------------------------------------------------------


@pytest.mark.parametrize("page_size", [10, 100])
def test_list_queries_are_fixed_whatever_the_page_size_and_matches(
    client, django_assert_num_queries, page_size
):
    for n in range(25):
        full_trial(n)
    url = f"/trials/?condition=ms&cell_type=msc&route=intrathecal&q=synthetic&page_size={page_size}"
    client.get(url)  # the first request after a write loads the in-memory browse index
    # The validators (index token and latest update, for ETag and Last-Modified) + 3
    # vocabularies + cell products + index token + the page's cards (their columns, their
    # stored records) = 8. Facets are counted in memory and give the total (no COUNT); the
    # ids the search leaves were read by the request above (same index token: reused).
    with django_assert_num_queries(8) as captured:
        response = client.get(url)
    assert len(response.context["trials"]) == min(page_size, 25)
    for query in captured.captured_queries:
        assert "SELECT DISTINCT" not in query["sql"].upper()


# --- bad input never answers 500 -------------------------------------------------------------

# The list's parameters as PRODUCT.md's URL contract states them (written out here, not
# imported from the app, so that the tests pin the contract rather than echo the code).
CONTRACT_PARAMS = [
    "condition",
    "cell_type",
    "route",
    "phase",
    "status",
    "origin",
    "listing",
    "country",
    "enrollment_min",
    "enrollment_max",
    "follow_up_min",
    "follow_up_max",
    "start_year_min",
    "start_year_max",
    "has_results",
    "q",
    "sort",
    "page",
]
PARAMS = [*CONTRACT_PARAMS, "page_size", "utm_source"]
junk = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
value = st.one_of(
    junk,
    st.integers(-(10**12), 10**12).map(str),
    st.sampled_from(
        [
            "ms",
            "als",
            "PHASE2",
            "NCT03282760",
            "",
            " ",
            "%",
            "'; DROP TABLE x;--",
            "<script>",
            "1e309",
            "NaN",
            "0x10",
            "٣",
        ]
    ),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.tuples(st.sampled_from(PARAMS), value), max_size=6))
def test_random_parameters_never_answer_500(client, pairs):
    from urllib.parse import urlencode

    query = urlencode(pairs)
    for url in ("/trials/", "/trials/export.csv", "/trials/export.json", "/conditions/ms/"):
        response = client.get(f"{url}?{query}")
        assert response.status_code in (200, 302, 400), (url, query)


def test_every_list_state_has_a_url(client, catalogue):
    # The form is a plain GET form: the filter names are the URL's parameter names.
    html = client.get("/trials/").content.decode()
    assert '<form class="filters" method="get" action="/trials/"' in html
    for name in [*(p for p in CONTRACT_PARAMS if p != "page"), "page_size"]:
        assert f'name="{name}"' in html, name


def test_export_urls_are_stable():
    assert reverse("trials:export-csv") == "/trials/export.csv"
    assert reverse("trials:export-json") == "/trials/export.json"


# --- the browse index follows every write ------------------------------------------------------


def test_publishing_and_withdrawing_update_list_and_counts(client, reviewer):
    trial = TrialFactory(
        title="Synthetic lifecycle trial", workflow=Workflow.IN_REVIEW, conditions=["als"]
    )
    assert facet_map(client.get("/trials/"))["condition"].get("als", 0) == 0
    services.trial_publish(trial=trial, user=reviewer)
    response = client.get("/trials/?condition=als")
    assert titles(response) == {"Synthetic lifecycle trial"}
    assert facet_map(response)["condition"]["als"] == 1
    services.trial_withdraw(trial=trial, user=reviewer)
    response = client.get("/trials/?condition=als")
    assert titles(response) == set()
    assert facet_map(response)["condition"]["als"] == 0


def test_moving_a_term_in_the_admin_reindexes_its_trials(superuser_client):
    from trials.models import Condition

    trial = TrialFactory(title="Synthetic moved-term trial", conditions=["ppms"])
    superuser_client.get("/trials/")
    ppms = Condition.objects.get(slug="ppms")
    response = superuser_client.post(
        f"/admin/trials/condition/{ppms.pk}/change/",
        {
            "slug": "ppms",
            "name": ppms.name,
            "description": ppms.description,
            "parent": Condition.objects.get(slug="als").pk,
            "mesh_id": "",
        },
    )
    assert response.status_code == 302
    assert titles(superuser_client.get("/trials/?condition=als")) == {trial.title}
    assert titles(superuser_client.get("/trials/?condition=ms")) == set()


def test_bitmaps_count_members():
    from browse.bitmaps import bitmap

    assert bitmap([]) == 0
    assert bitmap([0, 3, 9]) == 0b1000001001
    assert (bitmap(range(1, 1000, 2)) & bitmap(range(0, 1000, 3))).bit_count() == len(
        set(range(1, 1000, 2)) & set(range(0, 1000, 3))
    )


# --- found in review ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/trials/?page=²", "/trials/?page=①", "/conditions/ms/?page=²"])
def test_unicode_digits_in_page_are_a_message_not_an_error(client, catalogue, url):
    response = client.get(url)
    assert response.status_code == 200
    assert "There is no page" in response.content.decode()


def test_nul_bytes_never_reach_the_database(client, catalogue):
    assert client.get("/trials/%00/").status_code == 404
    response = client.get("/trials/?q=%00")
    assert response.status_code == 200
    assert "control characters were removed" in response.content.decode()
    assert len(titles(response)) == 7


def test_both_results_options_together_mean_either(client, catalogue):
    assert len(titles(client.get("/trials/?has_results=yes&has_results=no"))) == 7


def test_phase_1_does_not_include_early_phase_1():
    from trials.models import Phase

    assert Phase.matching("PHASE1") == ["PHASE1", "PHASE1_PHASE2"]


def test_not_applicable_phase_sorts_after_real_phases(client, catalogue):
    TrialFactory(title="Synthetic browse trial NA", phase="NA")
    order = [t.title[-2:].strip() for t in client.get("/trials/?sort=phase").context["trials"]]
    assert order[0] == "C"  # phase 3
    assert order.index("NA") > order.index("A")  # after phase 1


def test_deleting_a_trial_in_the_admin_updates_counts_at_once(superuser_client, catalogue):
    assert facet_map(superuser_client.get("/trials/"))["country"]["US"] == 2
    trial = catalogue["C"]
    response = superuser_client.post(f"/admin/trials/trial/{trial.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    response = superuser_client.get("/trials/?country=US")
    assert facet_map(response)["country"]["US"] == 1
    assert response.context["paginator"].count == 1


def test_renaming_a_sponsor_in_the_admin_updates_search(superuser_client, catalogue):
    sponsor = services.organisation_get_or_create(name="Old Sponsor Name")
    services.trial_update(trial=catalogue["A"], sponsor=sponsor)
    approve_all()
    response = superuser_client.post(
        f"/admin/trials/organisation/{sponsor.pk}/change/",
        {"name": "Zebrafish Foundation", "country": "", "website": ""},
    )
    assert response.status_code == 302
    assert titles(superuser_client.get("/trials/?q=zebrafish")) == {"A"}


def test_home_phase_chart_counts_each_trial_once(client, catalogue):
    charts = {chart.slug: chart for chart in client.get("/").context["charts"]}
    assert sum(bar.value for bar in charts["phase"].bars) == 6  # D has no phase
