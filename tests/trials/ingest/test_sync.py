"""sync_ctgov against a local fake of the ClinicalTrials.gov API v2 (no test reaches the
internet): paging, incremental windows, the merge policy, faults, the lock and dry runs. The
studies are synthetic (trials/ingest/synthetic.py)."""

import datetime
import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from reversion.models import Version

from tests.helpers import PASS, SAMPLES, FakeApi
from trials import services
from trials.ingest.synthetic import SyntheticRegistry, nct, synthetic_study
from trials.models import (
    Publication,
    PublicationRole,
    Registry,
    RegistryRecord,
    SavedSearch,
    SyncOutcome,
    SyncRun,
    Trial,
    Workflow,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(settings):
    """Five synthetic studies, served two to a page (three pages, two nextPageTokens)."""
    settings.SYNC_RATE_LIMIT = 0
    settings.SYNC_BACKOFF_BASE = 0.01
    settings.SYNC_PAGE_SIZE = 2
    app = SyntheticRegistry([synthetic_study(n) for n in range(1, 6)])
    api = FakeApi(app=app)
    settings.CTGOV_API_URL = api.url
    SavedSearch.objects.update(enabled=False)  # the shipped defaults would each ask again
    SavedSearch.objects.create(name="Test search", condition="amyotrophic lateral sclerosis")
    yield app, api
    api.close()


def sync(*args):
    call_command("sync_ctgov", *args, stdout=io.StringIO(), stderr=io.StringIO())


def studies_requests(api):
    return [query for path, query, _agent in api.seen if path == "/studies"]


def test_the_first_run_pages_through_and_creates_drafts_made_by_the_sync(registry):
    _app, api = registry
    sync("--query", "Test search")

    trials = Trial.objects.order_by("title")
    assert trials.count() == 5
    assert set(trials.values_list("workflow", flat=True)) == {Workflow.DRAFT}
    run = SyncRun.objects.get()
    assert (run.outcome, run.pages, run.seen, run.created, run.errors) == ("ok", 3, 5, 5, 0)
    assert run.finished_at >= run.started_at
    assert any("Test search (full): 5 studies match" in line for line in run.summary)
    tokens = [q for q in studies_requests(api) if "pageToken" in q]
    assert len(tokens) == 2  # pages two and three were asked for with the tokens given
    version = Version.objects.get_for_object(trials[0]).first()
    assert version.revision.user.username == "registry-sync"
    assert "registry sync, run #" in version.revision.comment
    assert not version.revision.user.is_active  # the sync's account cannot sign in
    assert RegistryRecord.objects.filter(last_fetched_at__isnull=False).count() == 5
    search = SavedSearch.objects.get(name="Test search")
    assert search.synced_until == run.started_at


def test_an_identical_second_run_is_incremental_and_writes_nothing_to_any_trial(registry):
    _app, api = registry
    sync()
    before = list(Trial.objects.order_by("pk").values_list("pk", "version", "updated_at"))
    versions = Version.objects.count()
    fetched = dict(RegistryRecord.objects.values_list("identifier", "last_fetched_at"))
    first = SavedSearch.objects.get(name="Test search").synced_until
    api.seen.clear()

    sync()  # nothing was updated at the registry since the first run

    second = SyncRun.objects.first()
    assert (second.seen, second.created, second.updated, second.outcome) == (0, 0, 0, "ok")
    window = f"AREA[LastUpdatePostDate]RANGE[{(first - timedelta(days=1)).date()},MAX]"
    assert studies_requests(api) and all(window in _unquote(q) for q in studies_requests(api))

    sync("--since", "2020-01-01")  # the same studies fetched again, all identical

    third = SyncRun.objects.first()
    assert (third.seen, third.created, third.updated, third.unchanged) == (5, 0, 0, 5)
    assert list(Trial.objects.order_by("pk").values_list("pk", "version", "updated_at")) == before
    assert Version.objects.count() == versions
    # Only the registry record notes the fetch.
    for identifier, when in RegistryRecord.objects.values_list("identifier", "last_fetched_at"):
        assert when > fetched[identifier]


def _unquote(query: str) -> str:
    from urllib.parse import unquote_plus

    return unquote_plus(query)


def test_a_registry_status_change_applies_to_an_uncurated_field_and_waits_on_a_curated_one(
    registry, curator, reviewer
):
    app, _api = registry
    sync()
    follows = Trial.objects.get(registry_records__identifier=nct(1))
    curated = Trial.objects.get(registry_records__identifier=nct(2))
    services.take_step(step="publish", trial=follows, user=reviewer)
    services.trial_update(trial=curated, user=curator, status="SUSPENDED", reason="Sponsor says")
    for n in (1, 2):
        study = app.studies[n - 1]["protocolSection"]["statusModule"]
        study.update(overallStatus="TERMINATED", statusVerifiedDate="2026-11")
        study["lastUpdatePostDateStruct"]["date"] = "2026-11-29"

    sync()

    follows.refresh_from_db()
    curated.refresh_from_db()
    assert follows.status == "TERMINATED"
    assert (follows.status_checked, follows.status_checked_precision) == (
        datetime.date(2026, 11, 1),
        "month",
    )
    latest = Version.objects.get_for_object(follows).first()
    assert latest.revision.user.username == "registry-sync"
    # A change the public sees on a published trial goes to the reviewers' queue.
    assert follows.workflow == Workflow.PUBLISHED and follows.edited_since_review
    assert curated.status == "SUSPENDED"
    record = RegistryRecord.objects.get(identifier=nct(2))
    assert record.pending["status"]["registry"] == "TERMINATED"
    run = SyncRun.objects.first()
    assert (run.updated, run.waiting) == (2, 1)
    assert any(line.startswith(f"{nct(2)}: updated") and "status" in line for line in run.summary)


def test_references_become_publications_holding_only_what_the_registry_states(registry):
    app, _api = registry
    app.studies[0] = synthetic_study(1, pmids=["99000123"])
    sync()

    publication = Publication.objects.get(pmid="99000123")
    assert publication.citation == "Synthetic citation of PMID 99000123."
    assert (publication.title, publication.journal, publication.year, publication.doi) == (
        "",
        "",
        None,
        "",
    )
    link = publication.trialpublication_set.get()
    assert link.role == PublicationRole.RESULTS
    assert link.trial.registry_records.get().identifier == nct(1)
    # A curator unlinks it: the next run (the study otherwise changed) does not link it again.
    link.delete()
    app.studies[0]["protocolSection"]["statusModule"]["overallStatus"] = "COMPLETED"
    sync("--since", "2020-01-01")
    assert not publication.trialpublication_set.exists()


def test_a_truncated_page_halfway_keeps_the_first_page_and_marks_the_run_partial(registry):
    _app, api = registry
    api.routes["/studies"] = [PASS, (200, {}, b'{"studies": [{"protocolSection": {"ident')]
    with pytest.raises(CommandError, match="partial"):
        sync("--query", "Test search")

    run = SyncRun.objects.get()
    assert run.outcome == SyncOutcome.PARTIAL
    assert (run.pages, run.created, run.errors) == (1, 2, 1)
    assert "not complete JSON" in run.message and "truncated" in run.message
    assert Trial.objects.count() == 2  # the first page's studies were kept
    # The search's window did not move: the next run starts again from the beginning.
    assert SavedSearch.objects.get(name="Test search").synced_until is None
    api.routes.pop("/studies")
    api.seen.clear()
    sync("--query", "Test search")
    assert not any("LastUpdatePostDate" in _unquote(q) for q in studies_requests(api))
    assert Trial.objects.count() == 5 and SyncRun.objects.first().outcome == "ok"


def test_a_500_then_success_and_a_429_with_retry_after_still_complete_the_run(registry):
    _app, api = registry
    api.routes["/studies"] = [
        (500, {}, b"upstream error"),
        (429, {"Retry-After": "1"}, b""),
        PASS,
    ]
    sync("--query", "Test search")
    run = SyncRun.objects.get()
    assert (run.outcome, run.created) == ("ok", 5)
    assert len(studies_requests(api)) == 5  # two refused attempts, then three pages


def test_a_catalogued_trial_the_registry_answers_404_for_is_reported_and_kept(registry):
    _app, api = registry
    trial = services.trial_create(title="Entered by hand")
    services.registry_id_add(trial=trial, registry=Registry.NCT, identifier=nct(99))
    sync()
    run = SyncRun.objects.first()
    assert run.outcome == "ok" and run.refreshed_catalogue
    assert any(f"{nct(99)}: not found at ClinicalTrials.gov (404)" in x for x in run.summary)
    assert Trial.objects.filter(pk=trial.pk).exists()
    assert ("/studies/" + nct(99)) in [path for path, *_ in api.seen]


def test_the_catalogue_refresh_keeps_a_trial_found_by_hand_current(registry):
    app, api = registry
    trial = services.trial_create(title="Found by hand")
    services.registry_id_add(trial=trial, registry=Registry.NCT, identifier=nct(7))
    app.studies.append(synthetic_study(7, overallStatus="COMPLETED"))
    SavedSearch.objects.update(enabled=False)  # no search finds it: only the refresh does
    sync()
    trial.refresh_from_db()
    assert trial.status == "COMPLETED"
    asked = [_unquote(q) for q in studies_requests(api)]
    assert any(f"filter.ids={nct(7)}" in q for q in asked)


def test_studies_outside_cell_therapy_and_malformed_ones_are_skipped_or_reported(registry):
    app, _api = registry
    not_cell = json.loads(next(SAMPLES.glob("NCT00763412.json")).read_text())
    deep: dict = {}
    node = deep
    for _ in range(100):
        node["x"] = {}
        node = node["x"]
    malformed = synthetic_study(6)
    malformed["protocolSection"]["deep"] = deep
    app.studies += [not_cell, malformed]
    with pytest.raises(CommandError, match="partial"):
        sync("--query", "Test search")
    run = SyncRun.objects.get()
    assert (run.created, run.skipped, run.errors) == (5, 1, 1)
    assert any("nested more than 64 levels" in line for line in run.summary)
    assert not Trial.objects.filter(registry_records__identifier="NCT00763412").exists()


def test_a_dry_run_reports_what_would_change_and_writes_nothing(registry, capsys):
    before = (Trial.objects.count(), Version.objects.count(), RegistryRecord.objects.count())
    call_command("sync_ctgov", "--dry-run")
    out = capsys.readouterr().out
    assert f"{nct(1)}: created" in out and "Dry run, nothing written: ok; 3 pages" in out
    after = (Trial.objects.count(), Version.objects.count(), RegistryRecord.objects.count())
    assert after == before
    assert not SyncRun.objects.exists()
    assert SavedSearch.objects.get(name="Test search").synced_until is None


def test_a_second_sync_refuses_to_start_while_one_runs(registry):
    SyncRun.objects.create(kind="ctgov")  # running, heartbeat now
    with pytest.raises(CommandError, match=r"Another ClinicalTrials.gov sync is running"):
        sync()
    assert not Trial.objects.exists()


def test_a_run_that_died_long_ago_no_longer_holds_the_lock(registry):
    dead = SyncRun.objects.create(
        kind="ctgov",
        started_at=timezone.now() - timedelta(hours=9),
        heartbeat_at=timezone.now() - timedelta(hours=8),
    )
    sync()
    dead.refresh_from_db()
    assert dead.outcome == "failed" and "Abandoned" in dead.message
    assert Trial.objects.count() == 5


def test_a_failed_run_is_recorded_when_the_api_cannot_be_reached(settings):
    settings.CTGOV_API_URL = "http://127.0.0.1:9"  # nothing listens there
    settings.SYNC_MAX_RETRIES = 0
    with pytest.raises(CommandError, match="failed"):
        sync("--query", SavedSearch.objects.first().name)
    run = SyncRun.objects.get()
    assert run.outcome == "failed" and "ConnectError" in run.message


def test_drafts_from_a_sync_never_appear_publicly(registry, client):
    sync()
    trial = Trial.objects.first()
    assert client.get(f"/trials/{trial.slug}/").status_code == 404
    assert trial.title not in client.get("/trials/").content.decode()
    assert client.get("/api/v1/trials/").json()["count"] == 0
    assert trial.slug not in client.get("/sitemap.xml").content.decode()
    assert client.get(f"/api/v1/trials/{nct(1)}/").status_code == 404


def test_an_unknown_saved_search_name_is_a_clear_error(registry):
    with pytest.raises(CommandError, match="No saved search named 'Nope'"):
        sync("--query", "Nope")


def registry_citation_page(registry, reviewer, client) -> str:
    """The page of a synced, published trial whose one registry reference (PMID 99000123)
    PubMed has not filled in yet."""
    app, _api = registry
    app.studies[0] = synthetic_study(1, pmids=["99000123"])
    sync()
    trial = Trial.objects.get(registry_records__identifier=nct(1))
    services.take_step(step="publish", trial=trial, user=reviewer)
    return client.get(f"/trials/{trial.slug}/").content.decode()


def test_a_published_trial_shows_a_registry_citation_until_pubmed_fills_the_title(
    registry, reviewer, client
):
    page = registry_citation_page(registry, reviewer, client)
    assert "Synthetic citation of PMID 99000123." in page
    assert "(as the registry cites it)" in page
    assert "PMID 99000123" in page


def test_a_re_verified_status_updates_the_checked_date_without_queueing_the_trial(
    registry, reviewer
):
    """The registry re-verifies statuses every month or so: that confirms a fact, it does not
    change one, so a published trial is not put in the reviewers' queue for it."""
    app, _api = registry
    sync()
    trial = Trial.objects.get(registry_records__identifier=nct(3))
    services.take_step(step="publish", trial=trial, user=reviewer)
    versions = Version.objects.get_for_object(trial).count()
    status = app.studies[2]["protocolSection"]["statusModule"]
    status["statusVerifiedDate"] = "2026-11"
    status["lastUpdatePostDateStruct"]["date"] = "2026-11-29"

    sync()

    trial.refresh_from_db()
    assert trial.status_checked == datetime.date(2026, 11, 1)
    assert Version.objects.get_for_object(trial).count() == versions + 1
    assert not trial.edited_since_review


def test_count_prints_each_searchs_matches_and_imports_nothing(registry, capsys):
    SavedSearch.objects.filter(name__startswith="MS").update(enabled=True)
    call_command("sync_ctgov", "--count")
    out = capsys.readouterr().out
    assert "       5  Test search" in out and "       5  MS × CAR-T" in out
    assert not Trial.objects.exists() and not SyncRun.objects.exists()
    _app, api = registry
    assert all("countTotal=true" in q and "pageSize=1" in q for q in studies_requests(api))


def test_a_citation_without_journal_or_year_has_no_stray_full_stop(registry, reviewer, client):
    page = registry_citation_page(registry, reviewer, client)
    assert "cites it)</span> ." not in " ".join(page.split())
