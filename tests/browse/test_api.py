"""The read-only API at /api/v1/, through its URLs: it agrees with the list page, a trial is
the export record, errors are the page's messages, and it behaves (CORS, throttling, 304)."""

import json

import pytest
from django.core.cache import caches
from django.db import connection

from browse.api.serializers import TrialRecord
from browse.filters import FACETS
from tests.helpers import MARKER, TrialFactory, browse_catalogue, count_queries, full_trial
from tests.helpers import body_of as body
from trials import services
from trials.models import Publication, Workflow

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    return browse_catalogue()


def api(client, url, status=200, **headers):
    response = client.get(url, **headers)
    assert response.status_code == status, (url, response.content[:300])
    return response.json() if response.content else None


# --- the API and the list page agree -----------------------------------------------------------

AGREEMENT = [
    "",
    "condition=als",
    "condition=ms&route=intrathecal",
    "cell_type=msc&status=COMPLETED",
    "condition=ms&condition=als&phase=PHASE2&origin=autologous",
    "country=US&country=IT&has_results=yes",
    "q=synthetic&sort=enrollment",
    "enrollment_min=50&follow_up_max=12&sort=start",
    "start_year_min=2012&start_year_max=2015&listing=trial",
]


@pytest.mark.parametrize("query", AGREEMENT, ids=lambda q: q or "none")
def test_the_api_and_the_list_page_give_the_same_trials_count_and_facets(client, catalogue, query):
    page = client.get(f"/trials/?{query}&page_size=100")
    data = api(client, f"/api/v1/trials/?{query}&page_size=100&facets=" + ",".join(FACET_NAMES))
    assert [t["slug"] for t in data["results"]] == [t.slug for t in page.context["trials"]]
    assert data["count"] == page.context["paginator"].count
    html_facets = {f.name: {o.value: o.count for o in f.options} for f in page.context["facets"]}
    api_facets = {
        name: {o["value"]: o["count"] for o in opts} for name, opts in data["facets"].items()
    }
    assert api_facets == html_facets


# Every facet the list counts, the evidence links' hidden ones included.
FACET_NAMES = FACETS


def test_a_trial_is_the_export_record(client, catalogue):
    exported = json.loads(body(client.get("/trials/export.json?condition=als")))
    listed = api(client, "/api/v1/trials/?condition=als")["results"]
    assert listed == exported
    for record in exported:
        assert api(client, f"/api/v1/trials/{record['slug']}/") == record


def test_the_schema_describes_exactly_the_export_record(client, catalogue):
    # The documented fields are the record's keys, at every level: the schema cannot drift.
    record = api(client, "/api/v1/trials/?condition=als&sort=enrollment")["results"][0]
    fields = TrialRecord().fields
    assert set(fields) == set(record)
    assert set(fields["interventions"].child.fields) == set(record["interventions"][0])
    full_trial(1)
    full = api(client, "/api/v1/trials/?q=synthetic&sort=updated")["results"][0]
    assert set(fields["outcomes"].child.fields) == set(full["outcomes"][0])
    assert set(fields["publications"].child.fields) == set(full["publications"][0])


def test_a_trial_is_reachable_by_any_registry_id(client, catalogue):
    record = api(client, "/api/v1/trials/NCT00000002/")
    assert record["slug"] == catalogue["C"].slug
    assert api(client, "/api/v1/trials/nct00000002/")["slug"] == catalogue["C"].slug


def test_pagination_has_count_next_and_previous(client, catalogue):
    first = api(client, "/api/v1/trials/?sort=start&page_size=3")
    assert first["count"] == 7 and len(first["results"]) == 3 and first["previous"] is None
    assert first["next"] == "http://testserver/api/v1/trials/?sort=start&page_size=3&page=2"
    last = api(client, "/api/v1/trials/?sort=start&page_size=3&page=3")
    assert len(last["results"]) == 1 and last["next"] is None
    assert last["previous"].endswith("page=2")
    everything = [
        t["slug"]
        for p in (1, 2, 3)
        for t in api(client, f"/api/v1/trials/?sort=start&page_size=3&page={p}")["results"]
    ]
    assert len(set(everything)) == 7


@pytest.mark.parametrize(
    "query, message",
    [
        ("condition=not-a-disease", "Condition: there is no “not-a-disease” in the tracker."),
        ("enrollment_min=abc", "Participants from: “abc” is not a whole number from 0 to"),
        ("sort=chaos", "Sort: “chaos” is not a way to sort; showing the default order."),
        ("page_size=101", "Results per page: “101” is not a whole number from 1 to 100."),
        ("page_size=0", "Results per page: “0” is not a whole number from 1 to 100."),
        ("page=abc", "There is no page “abc”."),
        ("page=9", "There is no page “9”; the last is 1."),
        ("facets=condition,flavour", "Facets: there is no “flavour” facet"),
    ],
)
def test_bad_values_answer_400_with_the_list_pages_messages(client, catalogue, query, message):
    errors = api(client, f"/api/v1/trials/?{query}", status=400)["errors"]
    assert any(message in error for error in errors), errors
    if "page" not in query and "facets" not in query:
        # The very message the HTML list shows for the same address.
        assert message in client.get(f"/trials/?{query}").content.decode()


def test_errors_are_json_everywhere_under_the_api(client, catalogue):
    assert api(client, "/api/v1/trials/no-such-trial/", status=404) == {
        "errors": ["There is no published trial “no-such-trial”."]
    }
    assert api(client, "/api/v1/no-such-endpoint/", status=404)["errors"]
    response = client.post("/api/v1/trials/", {}, content_type="application/json")
    assert response.status_code == 405 and "errors" in response.json()


def test_vocabularies_have_the_hierarchy_descriptions_and_published_counts(client, catalogue):
    conditions = {t["slug"]: t for t in api(client, "/api/v1/conditions/")}
    assert conditions["spms"]["parent"] == "progressive-ms"
    assert "spms" in conditions["progressive-ms"]["children"]
    assert conditions["ms"]["description"]
    assert conditions["ms"]["url"] == "http://testserver/conditions/ms/"
    # Narrower terms included, unpublished trials never: 3 published ALS trials, 3 hidden.
    assert conditions["als"]["trials"] == 3
    assert conditions["ms"]["trials"] == 4
    cells = {t["slug"]: t for t in api(client, "/api/v1/cell-types/")}
    assert cells["msc"]["trials"] == 4 and cells["msc-ntf"]["parent"] == "bm-msc"
    routes = {t["slug"]: t for t in api(client, "/api/v1/routes/")}
    assert routes["intraspinal"]["trials"] == 0 and routes["intrathecal"]["trials"] == 4


def test_stats_are_the_numbers_of_the_home_charts(client, catalogue):
    stats = api(client, "/api/v1/stats/")
    home = client.get("/")
    assert stats["trials"] == home.context["trial_count"] == 7
    charts = {chart.slug: chart for chart in home.context["charts"]}
    for key, slug in [
        ("by_phase", "phase"),
        ("by_cell_type", "cell-type"),
        ("by_route", "route"),
        ("by_start_year", "start-year"),
    ]:
        assert [row["count"] for row in stats[key]] == [bar.value for bar in charts[slug].bars]
    assert sum(row["count"] for row in stats["by_phase"]) == 6  # D has no phase
    assert [row["value"] for row in stats["by_start_year"]] == [str(y) for y in range(2010, 2017)]


def test_unpublished_trials_have_no_api_record(client, catalogue):
    for n, workflow in enumerate((Workflow.DRAFT, Workflow.IN_REVIEW, Workflow.WITHDRAWN)):
        api(client, f"/api/v1/trials/NCT9990000{n}/", status=404)
        slug = f"{MARKER.lower()}-{workflow}".replace("_", "-")
        api(client, f"/api/v1/trials/{slug[:100]}/", status=404)
    assert api(client, f"/api/v1/trials/?q={MARKER}")["count"] == 0


# --- manners: CORS, throttling, conditional requests ------------------------------------------


def test_cors_allows_any_origin_to_read_the_api_and_nothing_else(client, catalogue, admin_client):
    origin = {"HTTP_ORIGIN": "https://reviews.example.org"}
    for url in ("/api/v1/trials/", "/api/v1/schema/", "/api/v1/stats/"):
        assert client.get(url, **origin)["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(
        "/api/v1/trials/", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET", **origin
    )
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert "POST" not in preflight["Access-Control-Allow-Methods"]
    for url in ("/admin/", "/admin/login/", "/trials/", "/trials/export.json"):
        assert not admin_client.get(url, **origin).has_header("Access-Control-Allow-Origin"), url


def test_throttling_answers_429_with_retry_after_per_address(client, catalogue, settings):
    settings.API_RATE_LIMIT = "3/minute"
    caches["ratelimit"].clear()
    for _ in range(3):
        assert client.get("/api/v1/stats/").status_code == 200
    refused = client.get("/api/v1/trials/")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert refused.json()["errors"][0].startswith("Request was throttled")
    # Another address has its own count; X-Forwarded-For is never believed.
    assert client.get("/api/v1/stats/", REMOTE_ADDR="198.51.100.7").status_code == 200
    spoofed = client.get("/api/v1/stats/", HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert spoofed.status_code == 429
    # The count is in the shared database cache, and keyed without the address itself.
    assert all("127.0.0.1" not in key for key in _cache_keys())


def _cache_keys():
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM tracker_ratelimit")
        return [row[0] for row in cursor.fetchall()]


CONDITIONAL_URLS = [
    "/api/v1/trials/?condition=als",
    "/api/v1/trials/NCT00000002/",
    "/api/v1/stats/",
    "/trials/?condition=als",
    "/trials/export.csv?condition=als",
    "/trials/export.json",
    "/trials/export.ris",
    "/trials/feed/",
]


@pytest.mark.parametrize("url", CONDITIONAL_URLS)
def test_a_repeat_request_gets_304_and_a_publish_changes_the_etag(client, catalogue, url):
    first = client.get(url)
    assert first.status_code == 200
    etag, modified = first["ETag"], first["Last-Modified"]
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and not again.content
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    # A publish anywhere in the catalogue may change any list (and the index token).
    services.trial_publish(trial=TrialFactory(workflow=Workflow.IN_REVIEW), user=None)
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_editing_a_trial_changes_its_etag(client, catalogue):
    url = "/api/v1/trials/NCT00000002/"
    etag = client.get(url)["ETag"]
    services.outcome_add(trial=catalogue["C"], measure="ALSFRS-R slope")  # no reindex needed
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


# --- query counts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, expected",
    [
        # validators (token, latest update) + 3 vocabularies + cell products + index token +
        # the page's stored records by primary key = 7 (13 before the records were stored);
        # filters, facets and order are resolved in memory, so asking for facets costs nothing.
        ("/api/v1/trials/?page_size=100", 7),
        ("/api/v1/trials/?page_size=100&facets=condition,cell_type,route,phase,country", 7),
        # the ids q leaves were read by the warm-up request (same index token: reused)
        ("/api/v1/trials/?condition=ms&q=synthetic&page_size=100", 7),
        # validators + the trial + the same 6 prefetches = 8. By a registry id: the slug is
        # tried first, for the validators and for the trial, then the id as the public sees it
        # (trials/public_state.py public_lookup: the trial's ids and the token), so 5 more.
        ("/api/v1/trials/synthetic-test-trial-SLUG/", 8),
        ("/api/v1/trials/NCT90000003/", 13),
    ],
)
def test_api_queries_do_not_grow_with_rows(client, url, expected):
    # Throttling is off in tests; in production it adds the database cache's reads and writes.
    trials = [full_trial(n) for n in range(4)]
    url = url.replace("synthetic-test-trial-SLUG", trials[3].slug)
    client.get(url)  # loads the in-memory browse index
    few = count_queries(client, url)
    for n in range(4, 30):
        full_trial(n)
    client.get(url)
    assert count_queries(client, url) == few == expected


def test_editing_a_publication_in_the_admin_changes_the_lists_etag(superuser_client):
    full_trial(2)
    paper = Publication.objects.get(doi="10.5555/synthetic.2")
    etag = superuser_client.get("/api/v1/trials/")["ETag"]
    response = superuser_client.post(
        f"/admin/trials/publication/{paper.pk}/change/",
        {
            "title": "Synthetic corrected title",
            "authors": "",
            "journal": "J",
            "year": "2020",
            "volume": "",
            "issue": "",
            "pages": "",
            "doi": paper.doi,
            "pmid": "",
            "pmcid": "",
            "url": "",
        },
    )
    assert response.status_code == 302
    fresh = superuser_client.get("/api/v1/trials/", HTTP_IF_NONE_MATCH=etag)
    assert fresh.status_code == 200
    assert "Synthetic corrected title" in fresh.content.decode()
