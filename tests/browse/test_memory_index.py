"""The browse index in memory (browse/bitmaps.py, browse/results.py) and the stored public
records: a process that catches up trial by trial holds exactly what a full reload would, the
list's order is the database's, the list's SQL joins no facet, and stored records are the
records the schema builds."""

import json

import numpy as np
import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from browse.bitmaps import IndexBitmaps, Snapshot
from browse.filters import SORT_CHOICES, TrialFilter
from browse.results import Results
from tests.helpers import TrialFactory, add_arm, full_trial
from trials import services
from trials.models import IndexChange, PublicRecord, Trial, Workflow
from trials.public_record import trial_record, with_base_url

pytestmark = pytest.mark.django_db


def same(a: Snapshot, b: Snapshot) -> None:
    keep = lambda facets: {f: {v: bits for v, bits in o.items() if bits} for f, o in facets.items()}  # noqa: E731
    assert keep(a.facets) == keep(b.facets)
    for sort in a.orders:
        assert a.orders[sort].tolist() == b.orders[sort].tolist(), sort


def test_catching_up_trial_by_trial_equals_a_full_reload(client):
    trials = [full_trial(n) for n in range(6)]
    client.get("/trials/")
    before = IndexBitmaps._snapshot
    # A publish, an edit that moves a trial in every order, a withdrawal and a deletion.
    draft = TrialFactory(workflow=Workflow.DRAFT, title="Synthetic test trial draft")
    add_arm(draft, cell_type="nsc", routes=("intravenous",))
    services.trials_reindex(trial_ids=[draft.pk])
    Trial.objects.filter(pk=draft.pk).update(workflow=Workflow.PUBLISHED)
    services.trials_reindex(trial_ids=[draft.pk])
    services.trial_update(trial=trials[0], actual_enrollment=999, phase="PHASE3")
    services.trial_approve_edits(trial=trials[0], user=None)  # (public once reviewed)
    Trial.objects.filter(pk=trials[1].pk).update(workflow=Workflow.WITHDRAWN)
    services.trials_reindex(trial_ids=[trials[1].pk])
    services.trials_delete(queryset=Trial.objects.filter(pk=trials[2].pk))
    with CaptureQueriesContext(connection) as captured:
        caught_up = IndexBitmaps.current()
    # token, the generations since, then only the changed trials' rows and columns
    assert len(captured.captured_queries) == 4
    assert caught_up.generation > before.generation
    state = (caught_up.token, caught_up.generation)
    same(caught_up, Snapshot.load(*state))
    assert draft.pk in caught_up.orders["updated"].tolist()
    assert caught_up.orders["enrollment"][0] == trials[0].pk
    assert trials[1].pk not in caught_up.orders["updated"].tolist()
    assert trials[2].pk not in caught_up.orders["updated"].tolist()


def test_a_process_reloads_everything_when_it_cannot_prove_continuity(client):
    full_trial(1)
    client.get("/trials/")
    IndexChange.objects.all().delete()  # e.g. after a change too large to list
    full_trial(2)
    with CaptureQueriesContext(connection) as captured:
        snapshot = IndexBitmaps.current()
    same(snapshot, Snapshot.load(snapshot.token, snapshot.generation))
    assert any("trials_facetvalue" in q["sql"] for q in captured.captured_queries)


@pytest.mark.parametrize("sort", [key for key, _label in SORT_CHOICES])
def test_in_memory_order_is_the_databases(sort):
    for n in range(12):
        full_trial(n, actual_enrollment=[None, 5, 50][n % 3], phase=["", "PHASE1", "PHASE2"][n % 3])
    params = QueryDict(mutable=True)
    params.update({"sort": sort, "q": "synthetic"} if sort == "relevance" else {"sort": sort})
    filterset = TrialFilter(params, queryset=Trial.objects.published())
    assert Results(filterset).ordered().tolist() == list(filterset.qs.values_list("pk", flat=True))


def test_the_list_sql_joins_no_facet(client):
    for n in range(5):
        full_trial(n)
    url = "/trials/?condition=ms&cell_type=msc&route=intrathecal&phase=PHASE1&sort=evidence"
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    for query in captured.captured_queries:
        assert "trials_facetvalue" not in query["sql"]


def test_stored_records_are_the_records_the_schema_builds():
    trials = [full_trial(n) for n in range(3)]
    for trial in Trial.objects.filter(pk__in=[t.pk for t in trials]).for_export():
        stored = PublicRecord.objects.get(trial_id=trial.pk).document
        assert json.loads(with_base_url(stored, "http://x")) == trial_record(trial, "http://x")
        assert with_base_url(stored, "http://x") == json.dumps(
            trial_record(trial, "http://x"), ensure_ascii=False
        )


def test_unpublished_trials_have_no_stored_record():
    trial = TrialFactory(workflow=Workflow.DRAFT)
    assert not PublicRecord.objects.filter(trial_id=trial.pk).exists()


def test_export_memory_reads_stored_records_in_chunks(client, django_assert_max_num_queries):
    for n in range(4):
        full_trial(n)
    client.get("/trials/export.json")
    # validators + vocabularies + token + one chunk of stored records
    with django_assert_max_num_queries(8):
        exported = json.loads(b"".join(client.get("/trials/export.json").streaming_content))
    assert len(exported) == 4


def test_results_members():
    trials = [full_trial(n) for n in range(3)]
    results = Results(TrialFilter(QueryDict(), queryset=Trial.objects.published()))
    assert all(t.pk in results for t in trials)
    assert -1 not in results and 10**9 not in results
    assert isinstance(results.ordered(), np.ndarray)
