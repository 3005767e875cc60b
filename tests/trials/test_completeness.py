"""Issue 9: the 'What we know and what is missing' box, evidence notes, the has_publication
filter and evidence sort, and dated statuses wherever a status is shown (pages and exports)."""

import csv
import datetime
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.helpers import TrialFactory, add_arm, approve_all, approved, full_trial
from trials import services
from trials.completeness import is_peer_reviewed_result, key_facts
from trials.models import Trial

pytestmark = pytest.mark.django_db


def paper(trial, n, *, journal="Synthetic Journal", role="primary_results"):
    publication = services.publication_get_or_create(
        title=f"Synthetic paper {n}", journal=journal, year=2021
    )
    services.publication_link(trial=trial, publication=publication, role=role)


def detail(trial) -> Trial:
    return Trial.objects.published().for_detail().get(pk=trial.pk)


@pytest.mark.parametrize(
    ("role", "journal", "counts"),
    [
        ("primary_results", "Lancet Neurology", True),
        ("follow_up", "Neurology", True),
        ("interim", "JAMA Neurology", True),
        ("protocol", "Trials", False),  # a protocol reports no results
        ("review", "Expert Opin Biol Ther", False),
        ("primary_results", "medRxiv", False),  # a preprint server is not peer review
        ("primary_results", "", False),  # no source named the journal: cannot say
    ],
)
def test_which_papers_count_as_peer_reviewed_results(role, journal, counts):
    assert is_peer_reviewed_result(role, journal) is counts


def test_the_box_counts_what_the_record_confirms_and_names_the_rest():
    trial = TrialFactory(title="Synthetic sparse trial", phase="", status="")
    add_arm(trial, routes=[])
    box = key_facts(detail(trial))
    assert box.summary == "0 of 9 key facts confirmed by our sources"
    assert box.missing_sentences() == [
        "No registry id found",
        "Number of participants not found",
        "Phase not stated",
        "How the cells are given (route) not stated",
        "Dose (number of cells) not stated",
        "Length of follow-up not stated",
        "No published results found",
        "No peer-reviewed paper of the results found",
        "No counts of serious adverse events or deaths found",
    ]


def test_a_full_record_confirms_every_key_fact():
    trial = full_trial(1)
    add_arm(trial, dose_min=1_000_000, dose_max=1_000_000, dose_unit="cells_per_kg")
    paper(trial, 1)
    services.trial_update(
        trial=trial, actual_enrollment=12, follow_up_months=24, has_results=True, deaths=0
    )
    box = key_facts(detail(trial))
    assert box.summary == "9 of 9 key facts confirmed by our sources"
    assert box.missing == []


def test_missing_facts_say_when_a_curator_last_checked():
    trial = TrialFactory(title="Synthetic checked trial", last_verified=datetime.date(2026, 11, 3))
    box = key_facts(detail(trial))
    assert "No published results found (checked Nov 2026)" in box.missing_sentences()


def test_trial_page_shows_the_box_and_the_evidence_notes(client):
    trial = TrialFactory(
        title="Synthetic disputed trial",
        actual_enrollment=20,
        evidence_notes="The registry lists 20 participants, the sponsor 23.",
    )
    html = client.get(trial.get_absolute_url()).content.decode()
    assert "What we know and what is missing" in html
    assert "2 of 9 key facts confirmed by our sources" in html  # participants and phase
    assert "No registry id found" in html
    assert "Where sources disagree" in html
    assert "The registry lists 20 participants, the sponsor 23." in html


def test_the_box_is_on_every_trial_page_and_costs_no_query(client):
    def count(trial):
        with CaptureQueriesContext(connection) as ctx:
            html = client.get(trial.get_absolute_url()).content.decode()
        assert "What we know and what is missing" in html
        return len(ctx.captured_queries)

    small = full_trial(1)
    big = full_trial(2)
    for n in range(8):
        paper(big, 10 + n)
        add_arm(big, cell_type="uc-msc", dose_min=5, dose_max=5, dose_unit="cells")
    approved(big)
    assert count(small) == count(big)


# --- has_publication filter and evidence sort ------------------------------------------------


@pytest.fixture
def evidence_trials():
    with_paper = TrialFactory(title="Synthetic trial with a paper")
    paper(with_paper, 1)
    results_only = TrialFactory(title="Synthetic trial with results only", has_results=True)
    protocol_only = TrialFactory(title="Synthetic trial with a protocol paper")
    paper(protocol_only, 2, role="protocol", journal="Trials")
    nothing = TrialFactory(title="Synthetic trial with nothing")
    approve_all()
    return with_paper, results_only, protocol_only, nothing


def titles(response) -> list[str]:
    return [trial.title for trial in response.context["trials"]]


def test_has_publication_filter_finds_peer_reviewed_results_papers(client, evidence_trials):
    with_paper, results_only, protocol_only, nothing = evidence_trials
    assert titles(client.get("/trials/?has_publication=yes")) == [with_paper.title]
    assert set(titles(client.get("/trials/?has_publication=no"))) == {
        results_only.title,
        protocol_only.title,
        nothing.title,
    }
    # Combined with the existing results filter (OR within, AND across facets).
    found = titles(client.get("/trials/?has_results=yes&has_publication=no"))
    assert found == [results_only.title]


def test_has_publication_facet_counts_and_bad_values(client, evidence_trials):
    response = client.get("/trials/?has_publication=YES&has_publication=maybe")
    facet = next(f for f in response.context["facets"] if f.name == "has_publication")
    assert {o.value: o.count for o in facet.options} == {"yes": 1, "no": 3}
    assert any("maybe" in message for message in response.context["problems"])
    assert client.get("/trials/export.csv?has_publication=maybe").status_code == 400


def test_evidence_sort_puts_papers_first_then_results(client, evidence_trials):
    with_paper, results_only, *_rest = evidence_trials
    order = titles(client.get("/trials/?sort=evidence"))
    assert order[:2] == [with_paper.title, results_only.title]


def test_linking_a_paper_later_updates_the_filter(client):
    trial = TrialFactory(title="Synthetic trial published later")
    assert titles(client.get("/trials/?has_publication=yes")) == []
    paper(trial, 3)
    approved(trial)  # a new link is an edit: public once a reviewer approves it
    assert titles(client.get("/trials/?has_publication=yes")) == [trial.title]


def test_list_with_the_new_filter_and_sort_keeps_a_fixed_query_count(
    client, django_assert_num_queries
):
    url = "/trials/?has_publication=no&sort=evidence&page_size=100"
    for n in range(3):
        full_trial(n)
    client.get(url)  # loads the browse index bitmaps
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(3, 30):
        full_trial(n)
    client.get(url)
    # The ETag validators, 3 vocabularies + cell products, the index token and the page's
    # cards in 2 (the evidence order is kept in memory) = 8, as for the plain list.
    with django_assert_num_queries(8):
        response = client.get(url)
    assert len(response.context["trials"]) == 30
    assert len(few.captured_queries) == 8


# --- dated statuses ---------------------------------------------------------------------------


def test_status_shows_when_and_by_what_it_was_confirmed_on_the_page_and_the_card(client):
    today = timezone.localdate()
    fresh = TrialFactory(
        title="Synthetic fresh status",
        status="RECRUITING",
        status_checked=today.replace(day=1),
        status_checked_precision="month",
        status_source="registry_verified",
    )
    stale = TrialFactory(
        title="Synthetic stale status",
        status="COMPLETED",
        status_checked=datetime.date(2016, 3, 30),
        status_source="registry_updated",
    )
    html = client.get(fresh.get_absolute_url()).content.decode()
    assert f"Recruiting — registry, checked {today:%b} {today.year}" in html
    assert "possibly out of date" not in html
    html = client.get(stale.get_absolute_url()).content.decode()
    assert "Completed — registry, last updated 30 Mar 2016" in html
    assert "possibly out of date" in html
    cards = client.get("/trials/").content.decode()
    assert cards.count("possibly out of date") == 1  # the stale one only
    assert "Completed — registry, last updated 30 Mar 2016" in cards


def test_an_undated_status_says_so():
    trial = TrialFactory(title="Synthetic undated status", status="COMPLETED")
    assert trial.status_check_display == ""
    assert trial.status_possibly_out_of_date


def test_exports_carry_status_checked_and_csv_adds_it_as_the_last_column(client):
    TrialFactory(
        title="Synthetic exported status",
        status="UNKNOWN",
        status_checked=datetime.date(2012, 11, 1),
        status_checked_precision="month",
        status_source="registry_verified",
    )
    TrialFactory(title="Synthetic status never checked", status="")
    records = json.loads(b"".join(client.get("/trials/export.json").streaming_content))
    checked = {r["title"]: (r["status_checked"], r["status_source"]) for r in records}
    assert checked["Synthetic exported status"] == ("2012-11", "registry_verified")
    assert checked["Synthetic status never checked"] == (None, None)
    body = b"".join(client.get("/trials/export.csv").streaming_content).decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(body)))
    # Added after updated_at; later columns (issue 13) follow it, existing ones keep places.
    assert header[header.index("updated_at") + 1] == "status_checked"
    checked = header.index("status_checked")
    assert {row[header.index("title")]: row[checked] for row in rows} == {
        "Synthetic exported status": "2012-11",
        "Synthetic status never checked": "",
    }


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"status": "COMPLETED", "status_checked": datetime.date(2024, 1, 1)}, "status_source"),
        ({"status": "", "status_source": "page_undated"}, "status"),
        ({"status": "COMPLETED", "status_source": "registry_verified"}, "status_checked"),
        ({"status": "COMPLETED", "status_source": "made_up"}, "status_source"),
    ],
)
def test_status_check_rules_are_enforced(fields, field):
    with pytest.raises(ValidationError) as error:
        TrialFactory(title="Synthetic bad status check", **fields)
    assert field in error.value.message_dict


def test_the_database_refuses_a_check_date_without_a_source():
    trial = TrialFactory(title="Synthetic trial for the constraint", status="COMPLETED")
    with pytest.raises(IntegrityError), transaction.atomic():
        Trial.objects.filter(pk=trial.pk).update(status_checked=datetime.date(2024, 1, 1))
