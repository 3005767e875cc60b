"""Public pages through their URLs: what the public sees, filters, and query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.helpers import TrialFactory, add_arm, approve_all, approved, full_trial
from trials import services
from trials.models import Workflow

pytestmark = pytest.mark.django_db


def listed_titles(response) -> set[str]:
    return {trial.title for trial in response.context["trials"]}


@pytest.fixture
def catalogue():
    """A small catalogue whose shape mirrors the real one: MS and ALS, NSC and MSC trials."""
    spms_nsc = TrialFactory(title="Synthetic SPMS NSC trial", conditions=["spms"])
    add_arm(spms_nsc, cell_type="fetal-nsc", routes=["intracerebroventricular"])
    als_ntf = TrialFactory(title="Synthetic ALS MSC-NTF trial", conditions=["als"], phase="PHASE3")
    add_arm(als_ntf, cell_type="msc-ntf", routes=["intrathecal"])
    als_wj = TrialFactory(
        title="Synthetic ALS UC-MSC trial",
        conditions=["als"],
        phase="PHASE1_PHASE2",
        status="RECRUITING",
    )
    add_arm(als_wj, cell_type="uc-msc", routes=["intrathecal", "intravenous"])
    rrms_hsc = TrialFactory(title="Synthetic RRMS HSCT trial", conditions=["rrms"], phase="PHASE2")
    add_arm(rrms_hsc, cell_type="hsc", routes=["intravenous"])
    for n, workflow in enumerate((Workflow.DRAFT, Workflow.IN_REVIEW, Workflow.WITHDRAWN)):
        hidden = TrialFactory(
            title=f"UNPUBLISHED-MARKER {workflow}", workflow=workflow, conditions=["als"]
        )
        add_arm(hidden, cell_type="msc-ntf", routes=["intrathecal"])
        services.registry_id_add(trial=hidden, registry="nct", identifier=f"NCT9999999{n}")
    approve_all()
    return {"spms_nsc": spms_nsc, "als_ntf": als_ntf, "als_wj": als_wj, "rrms_hsc": rrms_hsc}


def test_list_shows_only_published_trials(client, catalogue):
    response = client.get("/trials/")
    assert response.status_code == 200
    assert listed_titles(response) == {t.title for t in catalogue.values()}
    assert b"UNPUBLISHED-MARKER" not in response.content


def test_condition_filter_includes_descendants(client, catalogue):
    ms = listed_titles(client.get("/trials/?condition=ms"))
    assert ms == {"Synthetic SPMS NSC trial", "Synthetic RRMS HSCT trial"}
    progressive = listed_titles(client.get("/trials/?condition=progressive-ms"))
    assert progressive == {"Synthetic SPMS NSC trial"}
    als = listed_titles(client.get("/trials/?condition=als"))
    assert als == {"Synthetic ALS MSC-NTF trial", "Synthetic ALS UC-MSC trial"}


def test_cell_type_filter_includes_descendants(client, catalogue):
    msc = listed_titles(client.get("/trials/?cell_type=msc"))
    assert msc == {"Synthetic ALS MSC-NTF trial", "Synthetic ALS UC-MSC trial"}
    nsc = listed_titles(client.get("/trials/?cell_type=nsc"))
    assert nsc == {"Synthetic SPMS NSC trial"}


def test_repeated_parameters_or_within_a_facet_and_across_facets(client, catalogue):
    either = listed_titles(client.get("/trials/?cell_type=nsc&cell_type=hsc"))
    assert either == {"Synthetic SPMS NSC trial", "Synthetic RRMS HSCT trial"}
    both = listed_titles(client.get("/trials/?condition=als&route=intravenous"))
    assert both == {"Synthetic ALS UC-MSC trial"}


def test_phase_filter_matches_combined_phases(client, catalogue):
    phase2 = listed_titles(client.get("/trials/?phase=PHASE2"))
    assert phase2 == {"Synthetic ALS UC-MSC trial", "Synthetic RRMS HSCT trial"}
    assert listed_titles(client.get("/trials/?phase=PHASE3")) == {"Synthetic ALS MSC-NTF trial"}


def test_route_and_status_filters(client, catalogue):
    assert listed_titles(client.get("/trials/?route=intrathecal")) == {
        "Synthetic ALS MSC-NTF trial",
        "Synthetic ALS UC-MSC trial",
    }
    assert listed_titles(client.get("/trials/?status=RECRUITING")) == {"Synthetic ALS UC-MSC trial"}


def test_search_finds_titles_conditions_cells_and_sponsors(client, catalogue):
    assert listed_titles(client.get("/trials/?q=HSCT")) == {"Synthetic RRMS HSCT trial"}
    # Words from the vocabularies (with their ancestors) and the sponsor are searchable too.
    assert listed_titles(client.get("/trials/?q=amyotrophic")) == {
        "Synthetic ALS MSC-NTF trial",
        "Synthetic ALS UC-MSC trial",
    }
    assert listed_titles(client.get("/trials/?q=multiple sclerosis neural")) == {
        "Synthetic SPMS NSC trial"
    }
    services.trial_update(
        trial=catalogue["als_wj"], sponsor=services.organisation_get_or_create(name="Acme Cells")
    )
    approve_all()  # the new sponsor is public (and searchable) once reviewed
    assert listed_titles(client.get("/trials/?q=acme")) == {"Synthetic ALS UC-MSC trial"}
    assert listed_titles(client.get("/trials/?q=UNPUBLISHED")) == set()


def test_a_registry_id_search_goes_straight_to_the_trial(client, catalogue):
    services.registry_id_add(trial=catalogue["als_ntf"], registry="nct", identifier="NCT03280056")
    services.registry_id_add(
        trial=catalogue["als_ntf"], registry="eudract", identifier="2016-002020-86"
    )
    approve_all()  # (an id added by an edit leads to the trial once reviewed)
    for query in ("NCT03280056", "nct03280056", "2016-002020-86"):
        response = client.get(f"/trials/?q={query}")
        assert response.status_code == 302
        assert response.url == catalogue["als_ntf"].get_absolute_url()
    # An unpublished trial's id is not revealed: the list answers, with no result.
    response = client.get("/trials/?q=NCT99999990")
    assert response.status_code == 200
    assert listed_titles(response) == set()


@pytest.mark.parametrize(
    "query, message, expected",
    [
        ("condition=not-a-disease", "Condition: there is no “not-a-disease” in the tracker.", 4),
        ("condition=nope&condition=als", "Condition: there is no “nope” in the tracker.", 2),
        ("phase=PHASE9", "Phase: there is no “PHASE9” in the tracker.", 4),
        ("cell_type=<script>", "Cell type: there is no “&lt;script&gt;” in the tracker.", 4),
        ("enrollment_min=abc", "Participants from: “abc” is not a whole number", 4),
        ("follow_up_max=-3", "Follow-up up to (months): “-3” is not a whole number", 4),
        ("has_results=maybe", "Results: there is no “maybe” in the tracker.", 4),
        ("sort=chaos", "Sort: “chaos” is not a way to sort", 4),
        ("page=999999", "There is no page “999999”; showing page 1.", 4),
        ("page=abc", "There is no page “abc”; showing page 1.", 4),
    ],
)
def test_bad_values_give_a_specific_message_and_the_rest_still_applies(
    client, catalogue, query, message, expected
):
    response = client.get(f"/trials/?{query}")
    assert response.status_code == 200
    assert message in response.content.decode()
    assert b"<script>" not in response.content
    assert len(listed_titles(response)) == expected


def test_unknown_parameters_are_ignored(client, catalogue):
    response = client.get("/trials/?utm_source=newsletter&page_size=abc")
    assert response.status_code == 200
    assert len(listed_titles(response)) == 4


def test_pagination_keeps_filters(client):
    for _ in range(3):
        TrialFactory(conditions=["als"])
    response = client.get("/trials/?condition=als&page_size=2")
    assert 'href="?condition=als&amp;page_size=2&amp;page=2"' in response.content.decode()


def test_list_query_count_does_not_grow_with_rows(client, django_assert_num_queries):
    def count_queries(url):
        client.get(url)  # the first request after a write brings the in-memory index up to date
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    for n in range(3):
        full_trial(n)
    few = count_queries("/trials/?condition=ms&cell_type=msc&page_size=100")
    for n in range(3, 30):
        full_trial(n)
    many = count_queries("/trials/?condition=ms&cell_type=msc&page_size=100")
    assert few == many
    # The ETag/Last-Modified validators (index token and latest update, one query), 3
    # vocabularies + cell products, the browse index token (filters, facets, total and order
    # are resolved in memory), the page's cards: their columns and their stored records = 8
    # (11 when the page's trials were read with 4 prefetches). The index itself was loaded by
    # the request above.
    with django_assert_num_queries(8):
        client.get("/trials/?condition=ms&cell_type=msc&page_size=100")


def test_detail_shows_the_whole_record(client):
    trial = full_trial(1, acronym="SYN", summary="Plain summary for patients.")
    response = client.get(trial.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    for text in [
        "Plain summary for patients.",
        "Bone-marrow MSC",
        "Intracerebroventricular (ICV)",
        "NCT90000001",
        "https://clinicaltrials.gov/study/NCT90000001",
        "doi:10.5555/synthetic.1",
        "Synthetic source",
        "Milan",
        "Synthetic sponsor 1",
        "Adverse events",
    ]:
        assert text in html, text


def test_detail_query_count_does_not_grow_with_parts(client):
    def count_queries(trial):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(trial.get_absolute_url()).status_code == 200
        return len(ctx.captured_queries)

    small = full_trial(1)
    big = full_trial(2)
    for i in range(10):
        add_arm(big, cell_type="uc-msc", routes=["intravenous", "intrathecal"], label=f"Extra {i}")
        services.outcome_add(trial=big, measure=f"Extra outcome {i}")
        services.site_add(trial=big, country="PL", city=f"City {i}")
        services.source_add(trial=big, title=f"Source {i}", url=f"https://example.org/{i}")
    approved(big)
    assert count_queries(small) == count_queries(big)


def test_unpublished_trials_have_no_public_page(client):
    for n, workflow in enumerate((Workflow.DRAFT, Workflow.IN_REVIEW, Workflow.WITHDRAWN)):
        trial = TrialFactory(workflow=workflow)
        services.registry_id_add(trial=trial, registry="nct", identifier=f"NCT1111111{n}")
        assert client.get(trial.get_absolute_url()).status_code == 404
        assert client.get(f"/trials/NCT1111111{n}/").status_code == 404


def test_registry_id_url_redirects_to_the_trial(client):
    trial = full_trial(7)
    response = client.get("/trials/NCT90000007/")
    assert response.status_code == 302
    assert response.url == trial.get_absolute_url()
    assert client.get("/trials/nct90000007/").url == trial.get_absolute_url()
    assert client.get("/trials/2020-000007-11/").url == trial.get_absolute_url()
    assert client.get("/trials/NCT00000000/").status_code == 404


def test_clinic_offering_carries_a_warning(client):
    clinic = TrialFactory(listing_type="clinic", phase="", status="", title="Synthetic clinic")
    response = client.get(clinic.get_absolute_url())
    assert "this is a commercial clinic offering, not a clinical trial" in response.content.decode()
    listing = client.get("/trials/").content.decode()
    assert "Commercial clinic offering, not a trial" in listing


def test_home_links_into_the_list_by_disease_and_cell_type(client, catalogue):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/trials/?condition=als"' in html
    assert 'href="/trials/?cell_type=msc"' in html
    # Counts include descendants and never drafts: 2 published ALS trials, 3 hidden ones.
    conditions = {e["option"].value: e["option"].count for e in response.context["conditions"]}
    assert conditions["ms"] == 2
    assert conditions["als"] == 2
    assert conditions["spms"] == 1
    assert "UNPUBLISHED-MARKER" not in html


@pytest.mark.parametrize("url", ["/", "/conditions/ms/"])
def test_home_and_browse_query_counts_do_not_grow_with_rows(client, url):
    def count_queries():
        client.get(url)  # the first request after a write brings the in-memory index up to date
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    full_trial(1)
    few = count_queries()
    for n in range(2, 20):
        full_trial(n)
    assert count_queries() == few


@pytest.mark.parametrize(
    "url, expected",
    [
        ("/conditions/ms/", "Synthetic SPMS NSC trial"),
        ("/cell-types/msc/", "Synthetic ALS MSC-NTF trial"),
        ("/routes/intrathecal/", "Synthetic ALS UC-MSC trial"),
    ],
)
def test_browse_pages_list_their_trials(client, catalogue, url, expected):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert expected in html
    assert "UNPUBLISHED-MARKER" not in html


@pytest.mark.parametrize(
    "url", ["/conditions/nope/", "/cell-types/nope/", "/routes/nope/", "/trials/nope/"]
)
def test_unknown_pages_are_404(client, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("workflow", [Workflow.DRAFT, Workflow.IN_REVIEW, Workflow.WITHDRAWN])
def test_an_unpublished_trial_is_not_reachable_by_any_public_url(client, workflow):
    trial = TrialFactory(workflow=workflow, title="ZZUNPUBLISHEDZZ trial")
    services.registry_id_add(trial=trial, registry="nct", identifier="NCT09990001")
    for url in [
        trial.get_absolute_url(),
        "/trials/NCT09990001/",
        "/trials/?q=NCT09990001",
        "/api/v1/trials/?q=NCT09990001",
        "/trials/feed/",
        "/sitemap.xml",
    ]:
        response = client.get(url, follow=True)
        assert b"ZZUNPUBLISHEDZZ" not in response.content, url
        assert trial.slug.encode() not in response.content, url
    for url in [
        trial.get_absolute_url(),
        f"/api/v1/trials/{trial.slug}/",
        "/api/v1/trials/NCT09990001/",
        f"/trials/{trial.slug}/cite.ris",
        f"/trials/{trial.slug}/cite.bib",
    ]:
        assert client.get(url).status_code == 404, url
    report = client.post(trial.get_absolute_url() + "report/", {"message": "Wrong dose"})
    assert report.status_code == 404
    assert not trial.reports.exists()
