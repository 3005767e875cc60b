"""Text search: the search vectors' own table (models.SearchDocument, PostgreSQL) and the
answers each process keeps (browse/results.py). A kept answer follows every change of the
index by asking again about the changed trials only, and then says exactly what asking from
scratch says: the same trials, in the same order."""

import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from browse import results
from browse.bitmaps import ANCESTORS, IndexBitmaps
from browse.filters import TrialFilter
from browse.results import Results
from tests.helpers import TrialFactory, approved
from trials import services
from trials.models import PublicRecord, SearchDocument, Trial, Workflow

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the search vectors are PostgreSQL's"
)


@pytest.fixture(autouse=True)
def _no_kept_answers():
    results.clear_searches()
    yield
    results.clear_searches()


def glial(n: int, times: int = 1, **fields) -> Trial:
    """A published trial whose title says "glial" `times` times (more: a higher rank)."""
    return TrialFactory(title=f"Synthetic trial {n} " + "glial progenitor " * times, **fields)


def found(query: str) -> list[int]:
    filterset = TrialFilter(QueryDict(query), queryset=Trial.objects.published())
    return Results(filterset).ordered().tolist()


def from_scratch(query: str) -> list[int]:
    with results._searches_lock:
        kept = dict(results._searches)
        results._searches.clear()
    try:
        return found(query)
    finally:
        with results._searches_lock:
            results._searches.update(kept)


def search_sql(captured) -> list[str]:
    table = "trials_searchdocument" if connection.vendor == "postgresql" else "search_text"
    return [q["sql"] for q in captured.captured_queries if table in q["sql"]]


def test_a_kept_answer_is_reused_while_the_index_stands():
    glial(1)
    first = found("q=glial")
    with CaptureQueriesContext(connection) as captured:
        assert found("q=glial") == first
    assert search_sql(captured) == []


def test_after_publishes_only_the_changed_trials_are_asked_about_again():
    kept, dropped = glial(1), glial(2)
    TrialFactory(title="Synthetic trial about something else")
    found("q=glial")
    token = IndexBitmaps.current().token
    added = glial(3, times=3)  # a new match, ranked first
    services.trial_update(trial=dropped, title="Synthetic trial 2, renamed")
    approved(dropped)
    with CaptureQueriesContext(connection) as captured:
        patched = found("q=glial")
    [sql] = search_sql(captured)
    changed = IndexBitmaps.current().changed_since(token).tolist()
    assert changed == sorted([added.pk, dropped.pk])
    assert f" IN ({', '.join(map(str, changed))})" in sql
    assert set(patched) == {kept.pk, added.pk}
    assert patched == from_scratch("q=glial")


@postgres_only
def test_a_patched_answer_keeps_the_databases_relevance_order():
    trials = [glial(n, times=1 + n % 3) for n in range(6)]
    query = "q=glial progenitor"
    found(query)
    services.trial_update(trial=trials[0], title="Synthetic trial 0 " + "glial progenitor " * 5)
    approved(trials[0])
    glial(7, times=2)
    filterset = TrialFilter(QueryDict(query), queryset=Trial.objects.published())
    database = list(filterset.qs.values_list("pk", flat=True))
    assert found(query) == database == from_scratch(query)
    # The ranks differ, so the order is theirs, not merely the latest update first.
    by_update = Trial.objects.filter(pk__in=database).order_by("-updated_at", "-id")
    assert database != list(by_update.values_list("pk", flat=True))


def test_an_unpublished_trial_leaves_a_kept_answer():
    trial, withdrawn = glial(1), glial(2)
    found("q=glial")
    services.trial_withdraw(trial=withdrawn, user=None)
    assert found("q=glial") == [trial.pk]


def test_a_range_filter_answer_is_patched_too():
    young = glial(1, actual_enrollment=10)
    grown = glial(2, actual_enrollment=10)
    found("enrollment_min=20")
    services.trial_update(trial=grown, actual_enrollment=40)
    approved(grown)
    with CaptureQueriesContext(connection) as captured:
        assert found("enrollment_min=20") == [grown.pk]
    [sql] = [q["sql"] for q in captured.captured_queries if ">= 20" in q["sql"]]
    assert f" IN ({grown.pk})" in sql
    assert young.pk not in found("enrollment_min=20")


def test_a_full_reload_asks_again_from_scratch():
    glial(1)
    found("q=glial")
    services.browse_index_changed()  # a change too large to list: processes reload all
    glial(2)
    with CaptureQueriesContext(connection) as captured:
        assert len(found("q=glial")) == 2
    assert all(" IN (" not in sql for sql in search_sql(captured))


def test_many_changes_ask_again_from_scratch(monkeypatch):
    glial(1)
    found("q=glial")
    glial(2)
    monkeypatch.setattr(results, "PATCH_LIMIT", 0)
    with CaptureQueriesContext(connection) as captured:
        assert len(found("q=glial")) == 2
    assert all(" IN (" not in sql for sql in search_sql(captured))


def test_a_snapshot_remembers_the_changes_since_its_last_ancestors():
    trials = [glial(n) for n in range(ANCESTORS + 2)]
    tokens = [IndexBitmaps.current().token]
    for trial in trials:
        services.trials_reindex(trial_ids=[trial.pk])
        tokens.append(IndexBitmaps.current().token)
    snapshot = IndexBitmaps.current()
    assert snapshot.changed_since(snapshot.token).tolist() == []
    assert snapshot.changed_since(tokens[-2]).tolist() == [trials[-1].pk]
    assert snapshot.changed_since(tokens[-3]).tolist() == sorted(t.pk for t in trials[-2:])
    assert snapshot.changed_since(tokens[-1 - ANCESTORS]) is not None
    assert snapshot.changed_since(tokens[-2 - ANCESTORS]) is None  # too long ago
    assert snapshot.changed_since("another copy") is None


@postgres_only
def test_only_public_trials_have_a_search_document():
    public, draft = glial(1), glial(2, workflow=Workflow.DRAFT)
    withdrawn = glial(3)
    services.trial_withdraw(trial=withdrawn, user=None)
    assert set(SearchDocument.objects.values_list("trial_id", flat=True)) == {public.pk}
    assert draft.pk not in found("q=glial")
    vector = SearchDocument.objects.get(trial_id=public.pk).vector
    assert "'glial':4A" in vector and "'progenitor':5A" in vector


@postgres_only
def test_the_search_reads_the_vectors_table_not_the_trial_table(client):
    glial(1)
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/trials/?q=glial").status_code == 200
    [sql] = search_sql(captured)
    assert "trials_trial" not in sql


def test_an_index_change_listing_no_trial_keeps_pages_working(client):
    # Saving a publication no trial cites reindexes an empty list of trials.
    glial(1)
    assert len(found("q=glial")) == 1
    publication = services.publication_get_or_create(title="Synthetic uncited paper", year=2020)
    services.publications_changed(publication_ids=[publication.pk])
    assert len(found("q=glial")) == 1
    assert client.get("/trials/").status_code == 200


def test_marking_a_trial_verified_moves_it_in_the_public_order():
    first, second = glial(1), glial(2)
    assert found("q=glial")[0] == second.pk  # equal ranks: the latest update first
    services.trial_mark_verified(trial=first, user=None)
    filterset = TrialFilter(QueryDict("q=glial"), queryset=Trial.objects.published())
    assert found("q=glial") == list(filterset.qs.values_list("pk", flat=True))
    assert found("")[0] == first.pk
    stored = json.loads(PublicRecord.objects.get(trial_id=first.pk).document)
    first.refresh_from_db()
    assert stored["updated_at"] == first.updated_at.isoformat()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_migrating_keeps_every_published_trials_vector():
    def migrate(target=None):
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate([("trials", target)] if target else executor.loader.graph.leaf_nodes())

    indexed, older = glial(1), glial(2)
    draft = glial(3, workflow=Workflow.DRAFT)
    migrate("0021_public_record_csv_line")
    try:
        PublicRecord.objects.filter(trial_id=older.pk).delete()  # last reindexed before 0019
    finally:
        migrate()  # to the latest (0022 included): the other tests need it
    assert sorted(found("q=glial")) == sorted([indexed.pk, older.pk])
    assert not SearchDocument.objects.filter(trial_id=draft.pk).exists()
