"""The Atom feed at /trials/feed/: new trials and reviewed changes to published trials, for
any list URL's parameters, in plain words; never a draft, an unreviewed edit or a note."""

import xml.etree.ElementTree as ET

import pytest

from tests.helpers import TrialFactory
from trials import services
from trials.models import Workflow

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def entries(client, url="/trials/feed/"):
    response = client.get(url)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    return [
        {
            "title": entry.findtext(f"{ATOM}title"),
            "summary": entry.findtext(f"{ATOM}summary"),
            "link": entry.find(f"{ATOM}link").get("href"),
            "id": entry.findtext(f"{ATOM}id"),
        }
        for entry in root.iter(f"{ATOM}entry")
    ]


@pytest.fixture
def recruiting(reviewer):
    trial = TrialFactory(
        title="Synthetic feed trial",
        acronym="FEEDY",
        workflow=Workflow.IN_REVIEW,
        status="RECRUITING",
        conditions=["als"],
        curator_notes="ZZSECRETNOTEZZ",
    )
    return services.trial_publish(trial=trial, user=reviewer)


def test_a_published_trial_is_one_new_entry(client, recruiting):
    [entry] = entries(client)
    assert entry["title"] == "FEEDY: Synthetic feed trial: Newly published"
    assert entry["summary"] == "Newly published. Status: Recruiting."
    assert entry["link"] == "http://testserver" + recruiting.get_absolute_url()


def test_a_status_change_is_one_entry_once_reviewed(client, recruiting, reviewer):
    services.trial_update(trial=recruiting, status="COMPLETED", reason="Registry says so")
    # Not public until a reviewer checks it (docs/curation.md): not on the page, not announced.
    page = client.get(recruiting.get_absolute_url()).context["trial"]
    assert page.get_status_display() == "Recruiting"
    assert len(entries(client)) == 1
    services.trial_approve_edits(trial=recruiting, user=reviewer)
    page = client.get(recruiting.get_absolute_url()).context["trial"]
    assert page.get_status_display() == "Completed"
    changes = entries(client)
    assert len(changes) == 2
    assert changes[0]["title"] == "FEEDY: Synthetic feed trial: Status: Recruiting → Completed"
    assert changes[0]["summary"] == "Status: Recruiting → Completed."
    assert changes[0]["id"] != changes[1]["id"]


def test_results_and_publications_are_said_in_plain_words(client, recruiting, reviewer):
    services.trial_update(trial=recruiting, has_results=True, actual_enrollment=48)
    paper = services.publication_get_or_create(
        title="Synthetic results paper", doi="10.5555/feed.1", journal="Synthetic J", year=2024
    )
    services.publication_link(trial=recruiting, publication=paper, role="primary_results")
    services.trial_approve_edits(trial=recruiting, user=reviewer)
    summary = entries(client)[0]["summary"]
    assert summary.startswith("Results posted. ")
    assert "Actual enrollment: — → 48" in summary
    assert "New publication: Synthetic results paper (Synthetic J, 2024) (Primary results)" in (
        summary
    )


def test_drafts_unreviewed_edits_and_notes_never_reach_the_feed(client, recruiting, reviewer):
    for workflow in (Workflow.DRAFT, Workflow.IN_REVIEW, Workflow.WITHDRAWN):
        TrialFactory(title=f"ZZHIDDENZZ {workflow}", workflow=workflow, conditions=["als"])
    services.trial_update(trial=recruiting, title="ZZUNREVIEWEDZZ title")
    services.trial_update(trial=recruiting, curator_notes="ZZSECRETNOTEZZ again")
    for url in ("/trials/feed/", "/trials/feed/?condition=als"):
        body = client.get(url).content.decode()
        assert "ZZHIDDENZZ" not in body
        assert "ZZUNREVIEWEDZZ" not in body
        assert "ZZSECRETNOTEZZ" not in body
    # Reverted before review: the unreviewed title never appears, and a note alone is no news.
    services.trial_update(trial=recruiting, title="Synthetic feed trial")
    services.trial_approve_edits(trial=recruiting, user=reviewer)
    body = client.get("/trials/feed/").content.decode()
    assert "ZZUNREVIEWEDZZ" not in body and "ZZSECRETNOTEZZ" not in body
    assert len(entries(client)) == 1


def test_a_withdrawn_trial_leaves_the_feed_and_a_republished_one_says_so(
    client, recruiting, reviewer
):
    services.trial_withdraw(trial=recruiting, user=reviewer)
    assert entries(client) == []
    services.trial_publish(trial=recruiting, user=reviewer)
    assert entries(client)[0]["summary"] == "Published again."


def test_the_feed_follows_the_list_parameters(client, recruiting, reviewer):
    TrialFactory(title="Synthetic MS feed trial", conditions=["rrms"])
    assert {e["title"] for e in entries(client, "/trials/feed/?condition=als")} == {
        "FEEDY: Synthetic feed trial: Newly published"
    }
    assert [e["title"] for e in entries(client, "/trials/feed/?condition=ms")] == [
        "Synthetic MS feed trial: Newly published"
    ]
    title = ET.fromstring(client.get("/trials/feed/?condition=als&status=RECRUITING").content)
    assert title.findtext(f"{ATOM}title") == (
        "Cell Therapy Trial Tracker: Condition: Amyotrophic lateral sclerosis (ALS); "
        "Status: Recruiting"
    )


def test_bad_parameters_answer_400_with_the_list_pages_messages(client):
    response = client.get("/trials/feed/?condition=nope")
    assert response.status_code == 400
    assert "Condition: there is no “nope” in the tracker." in response.content.decode()


def test_the_list_page_links_to_the_feed_of_its_search(client, recruiting):
    html = client.get("/trials/?condition=als&sort=start&page=1").content.decode()
    assert '<a class="feed-link" href="/trials/feed/?condition=als"' in html
    assert "Follow this search" in html
    assert (
        '<link rel="alternate" type="application/atom+xml" title="Follow this search (Atom)" '
        'href="/trials/feed/?condition=als">' in html
    )
    assert 'href="/trials/feed/?condition=als"' in client.get("/conditions/als/").content.decode()


def test_feed_is_not_a_trial_slug():
    assert TrialFactory(title="Feed", acronym="FEED").slug != "feed"
