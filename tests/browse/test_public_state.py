"""An edit to a published trial reaches the public only when a reviewer approves it
(trials/public_state.py): until then every public URL shows the trial as last reviewed, and
lists, counts, search and ranges judge it by that state too."""

import datetime
import io
import json
import re

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from browse.filters import FACETS, TrialFilter
from tests.helpers import (
    PUBLIC_URLS,
    add_arm,
    body_of,
    browse_catalogue,
    count_queries,
    full_trial,
)
from trials import services
from trials.models import Trial
from trials.public_record import stored_document
from trials.public_state import public_trial, reviewed_states

pytestmark = pytest.mark.django_db

PENDING = "ZZPENDINGEDITZZ"


@pytest.fixture
def edited(db):
    """A reviewed published trial (phase 1, completed, started 2015, 20 treated, BM-MSC)
    with an edit awaiting review that changes all of that and carries PENDING."""
    browse_catalogue()
    trial = full_trial(
        7,
        title="Synthetic reviewed trial",
        acronym="REVIEWED",
        slug="synthetic-reviewed-trial",
        status="COMPLETED",
        start_date=datetime.date(2015, 3, 1),
        actual_enrollment=20,
    )
    services.trial_update(
        trial=trial,
        title=f"{PENDING} title",
        acronym="PENDING",
        summary=f"{PENDING} summary",
        status="RECRUITING",
        start_date=datetime.date(2024, 1, 1),
        actual_enrollment=999,
        age_min_months=900,
        reason="Unreviewed change",
    )
    add_arm(trial, cell_type="hsc", routes=["intravenous"], label=f"{PENDING} arm")
    services.registry_id_add(trial=trial, registry="isrctn", identifier="ISRCTN99911111")
    trial.refresh_from_db()
    assert trial.edited_since_review
    return trial


TRIAL_URLS = [
    "/trials/synthetic-reviewed-trial/",
    "/trials/synthetic-reviewed-trial/cite.ris",
    "/trials/synthetic-reviewed-trial/cite.bib",
    "/api/v1/trials/synthetic-reviewed-trial/",
    "/api/v1/trials/NCT90000007/",
    "/api/v1/trials/?q=ISRCTN99911111",
    "/trials/?cell_type=hsc",
]


@pytest.mark.parametrize("url", PUBLIC_URLS + TRIAL_URLS)
def test_an_edit_awaiting_review_appears_on_no_public_url(client, edited, url):
    response = client.get(url, follow=True)
    assert response.status_code == 200
    body = body_of(response)
    assert PENDING.encode() not in body
    assert b"ISRCTN99911111" not in body


def test_the_public_sees_the_reviewed_trial_and_its_parts(client, edited):
    page = client.get(edited.get_absolute_url())
    html = page.content.decode()
    assert "Synthetic reviewed trial" in html and "Completed" in html
    assert page.context["trial"].title == "Synthetic reviewed trial"
    assert [arm.cell_type.slug for arm in page.context["trial"].interventions.all()] == [
        "bm-msc",
        "fetal-nsc",
    ]
    ld = json.loads(re.search(r'application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert ld["name"] == "Synthetic reviewed trial"
    record = client.get("/api/v1/trials/synthetic-reviewed-trial/").json()
    assert (record["title"], record["status"], record["actual_enrollment"]) == (
        "Synthetic reviewed trial",
        "COMPLETED",
        20,
    )
    assert record["cell_types"] == ["bm-msc", "fetal-nsc"]
    assert record["eligibility"]["age_min_months"] is None
    assert record["updated_at"] < edited.updated_at.isoformat()


def slugs(client, query: str) -> set[str]:
    html = client.get(f"/trials/?{query}&page_size=100").context["trials"]
    api = client.get(f"/api/v1/trials/?{query}&page_size=100").json()["results"]
    assert {t.slug for t in html} == {r["slug"] for r in api}
    return {t.slug for t in html}


# (query, whether the reviewed trial matches before approval, and after)
JUDGED = [
    ("status=COMPLETED", True, False),
    ("status=RECRUITING", False, True),
    ("cell_type=hsc", False, True),
    ("start_year_min=2015&start_year_max=2015", True, False),
    ("start_year_min=2024", False, True),
    ("enrollment_min=500", False, True),
    ("enrollment_max=20", True, False),
    ("age=40&condition=ms", True, False),  # the edit's minimum age is 75 years
    ("q=reviewed", True, False),
    (f"q={PENDING}", False, True),
    ("q=synthetic&start_year_min=2015&start_year_max=2015", True, False),
]


@pytest.mark.parametrize("query, before, after", JUDGED)
def test_lists_search_and_ranges_judge_it_by_what_was_reviewed(
    client, edited, query, before, after
):
    assert ("synthetic-reviewed-trial" in slugs(client, query)) is before
    services.trial_approve_edits(trial=edited, user=None)
    assert ("synthetic-reviewed-trial" in slugs(client, query)) is after


def test_counts_sort_orders_and_the_sitemap_use_the_reviewed_state(client, edited):
    reviewed_at = Trial.objects.get(pk=edited.pk)
    facets = {f.name: f for f in client.get("/trials/").context["facets"]}
    hsc = next(o for o in facets["cell_type"].options if o.value == "hsc")
    stats = client.get("/api/v1/stats/").json()
    newest = client.get("/trials/?sort=start").context["trials"][0]
    assert newest.slug != edited.slug  # sorted by 2015, not by the edit's 2024
    sitemap = client.get("/sitemap.xml").content.decode()
    entry = re.search(r"synthetic-reviewed-trial/</loc><lastmod>([\d-]+)", sitemap)
    assert entry is not None
    services.trial_approve_edits(trial=edited, user=None)
    facets = {f.name: f for f in client.get("/trials/").context["facets"]}
    assert next(o for o in facets["cell_type"].options if o.value == "hsc").count == hsc.count + 1
    assert client.get("/trials/?sort=start").context["trials"][0].slug == edited.slug
    assert client.get("/api/v1/stats/").json() != stats
    assert reviewed_at.edited_since_review


def test_approving_the_edit_publishes_it_everywhere(client, edited):
    services.trial_approve_edits(trial=edited, user=None)
    assert PENDING in client.get(edited.get_absolute_url()).content.decode()
    assert client.get("/api/v1/trials/synthetic-reviewed-trial/").json()["status"] == "RECRUITING"
    feed = client.get("/trials/feed/").content.decode()
    assert "Status: Completed → Recruiting" in feed


def test_the_reviewed_state_is_rebuilt_exactly_from_history(db):
    """The snapshot of a trial nobody edited since review gives back the same public record
    as the trial itself, parts and all, and reading it runs no query."""
    trials = list(Trial.objects.published().for_detail())
    trials.append(full_trial(3))
    trials = list(Trial.objects.filter(pk__in=[t.pk for t in trials]).for_detail())
    assert trials
    states = reviewed_states(trials)
    assert set(states) == {t.pk for t in trials}
    for trial in trials:
        state = states[trial.pk]
        with count_queries_zero():
            document = stored_document(state)
        assert json.loads(document) | {"updated_at": ""} == json.loads(stored_document(trial)) | {
            "updated_at": ""
        }


class count_queries_zero:
    def __enter__(self):

        self.context = CaptureQueriesContext(connection)
        self.context.__enter__()

    def __exit__(self, *exc):
        self.context.__exit__(*exc)
        assert len(self.context) == 0, [q["sql"] for q in self.context.captured_queries]


def test_a_trial_without_an_edit_awaiting_review_is_its_own_public_state(db):
    trial = full_trial(2)
    assert public_trial(trial) is trial


PARAMS = [
    "enrollment_min=40",
    "enrollment_max=43",
    "follow_up_min=12",
    "follow_up_max=6",
    "start_year_min=2012",
    "start_year_max=2011",
    "age=70",
    "edss=6.5",
    "age=17",
    "age=10&start_year_min=2010",
]


@pytest.mark.parametrize("query", PARAMS)
def test_the_python_twin_of_each_range_filter_agrees_with_sql(db, query):
    browse_catalogue()
    for trial in Trial.objects.published()[:3]:
        services.trial_update(trial=trial, age_min_months=216, age_max_months=780, edss_max=6)
    filterset = TrialFilter(QueryDict(query))
    published = Trial.objects.published()
    in_sql = set(
        filterset.filter_queryset(published, skip=set(FACETS)).values_list("pk", flat=True)
    )
    assert {t.pk for t in published if filterset.accepts(t)} == in_sql
    assert 0 < len(in_sql) < published.count() or query in ("age=10&start_year_min=2010",)


def test_the_page_of_a_trial_awaiting_review_costs_a_fixed_number_of_queries(client, edited):
    client.get(edited.get_absolute_url())
    few = count_queries(client, edited.get_absolute_url())
    for n in range(3):
        add_arm(edited, cell_type="nsc", routes=["intrathecal"], label=f"Later arm {n}")
        services.outcome_add(trial=edited, measure=f"Later outcome {n}")
    assert count_queries(client, edited.get_absolute_url()) == few


def test_the_eligibility_note_counts_it_by_its_reviewed_state(client, edited):
    from browse import eligibility

    page = client.get("/trials/?age=40&condition=ms&page_size=100")
    listed = list(page.context["trials"])
    assert edited.pk in [t.pk for t in listed]  # its reviewed state states no age
    unstated = [t for t in listed if t.age_min_months is None and t.age_max_months is None]
    assert page.context["eligibility_note"] == eligibility.summary(len(unstated))


def test_a_registry_id_added_by_the_edit_leads_nowhere_until_approved(client, edited):
    assert client.get("/trials/NCT90000007/").status_code == 302  # a reviewed id: the alias
    assert client.get("/trials/ISRCTN99911111/").status_code == 404
    assert client.get("/api/v1/trials/ISRCTN99911111/").status_code == 404
    assert client.get("/trials/?q=ISRCTN99911111").status_code == 200  # a search, no redirect
    services.trial_approve_edits(trial=edited, user=None)
    assert client.get("/trials/ISRCTN99911111/").status_code == 302
    assert client.get("/api/v1/trials/ISRCTN99911111/").status_code == 200
    assert client.get("/trials/?q=ISRCTN99911111").status_code == 302


# --- found by review -------------------------------------------------------------------------


def test_a_trial_restored_while_awaiting_review_stays_off_the_public_site(client, edited, tmp_path):
    """A backup carries no history, so nothing of such a trial has been reviewed: it is not
    public until a reviewer approves it (and then it is, whole)."""
    from django.core.management import call_command

    from trials.models import Organisation, Publication

    path = tmp_path / "backup.jsonl"
    call_command("export_trials", "--output", str(path), stderr=io.StringIO())
    services.trials_delete(queryset=Trial.objects.all())
    Publication.objects.all().delete()
    Organisation.objects.all().delete()
    call_command("import_trials", str(path), stdout=io.StringIO())
    restored = Trial.objects.get(slug="synthetic-reviewed-trial")
    assert restored.edited_since_review
    for url in ["/", "/trials/", "/trials/export.json", "/sitemap.xml", "/api/v1/trials/"]:
        body = body_of(client.get(url))
        assert PENDING.encode() not in body and b"synthetic-reviewed-trial" not in body, url
    assert client.get("/trials/synthetic-reviewed-trial/").status_code == 404
    assert client.get("/api/v1/trials/synthetic-reviewed-trial/").status_code == 404
    services.trial_approve_edits(trial=restored, user=None)
    assert PENDING in client.get("/trials/synthetic-reviewed-trial/").content.decode()


def test_the_home_page_lists_it_by_its_reviewed_date(client, edited):
    recent = [card.slug for card in client.get("/").context["recent"]]
    assert "synthetic-reviewed-trial" in recent  # full_trial's approval made it the latest
    for n in range(6):
        full_trial(20 + n)
    services.trial_update(trial=edited, summary=f"{PENDING} again", reason="Another edit")
    recent = [card.slug for card in client.get("/").context["recent"]]
    assert "synthetic-reviewed-trial" not in recent  # six trials reviewed since


def test_a_registry_id_removed_by_the_edit_still_leads_to_the_trial(client, edited):
    # As the admin removes an inline row: delete it, then record the change.
    edited.registry_ids.get(identifier="NCT90000007").delete()
    services.trial_changed(
        trial=edited, user=None, reason="Id removed", created=False, claimed=False
    )
    assert client.get("/trials/NCT90000007/").status_code == 302
    assert client.get("/api/v1/trials/NCT90000007/").status_code == 200
    assert client.get("/trials/?q=NCT90000007").status_code == 302
    services.trial_approve_edits(trial=edited, user=None)
    assert client.get("/trials/NCT90000007/").status_code == 404


def test_a_new_id_or_slug_answers_404_even_to_a_conditional_request(client, edited):
    future = {"HTTP_IF_MODIFIED_SINCE": "Fri, 01 Jan 2100 00:00:00 GMT"}
    assert client.get("/api/v1/trials/ISRCTN99911111/", **future).status_code == 404
    services.trial_update(trial=edited, slug="zz-new-unreviewed-slug", reason="New address")
    assert client.get("/trials/zz-new-unreviewed-slug/").status_code == 404
    assert client.get("/api/v1/trials/zz-new-unreviewed-slug/", **future).status_code == 404
    assert client.get("/trials/synthetic-reviewed-trial/").status_code == 200
    assert b"zz-new-unreviewed-slug" not in client.get("/sitemap.xml").content
    services.trial_approve_edits(trial=edited, user=None)
    assert client.get("/trials/zz-new-unreviewed-slug/").status_code == 200


def test_another_edit_awaiting_review_changes_no_public_validator(client, edited):
    first = client.get("/trials/")
    services.trial_update(trial=edited, summary=f"{PENDING} once more", reason="Another edit")
    again = client.get("/trials/")
    assert again["ETag"] == first["ETag"]
    assert again["Last-Modified"] == first["Last-Modified"]


def test_renaming_a_term_only_the_reviewed_state_uses_reindexes_it(client, edited):
    from trials.models import CellType

    fetal = CellType.objects.get(slug="fetal-nsc")
    edited.interventions.get(cell_type=fetal).delete()  # the edit drops the fetal-NSC arm
    services.trial_changed(
        trial=edited, user=None, reason="Arm removed", created=False, claimed=False
    )
    services.term_update(term=fetal, name="Synthetic renamed fetal cells")
    record = client.get("/api/v1/trials/synthetic-reviewed-trial/").json()
    assert "fetal-nsc" in record["cell_types"]  # the reviewed state still has the arm
    assert "Synthetic renamed fetal cells" in client.get(edited.get_absolute_url()).content.decode()
    assert "synthetic-reviewed-trial" in slugs(client, "q=renamed")
