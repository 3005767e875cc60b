"""The registry sync in the admin: curators keep saved searches, read runs, and the admin index
says when the last successful sync ran."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from trials.models import SavedSearch, SyncRun

pytestmark = pytest.mark.django_db


def test_the_shipped_saved_searches_cover_ms_and_als_for_each_cell_therapy():
    names = set(SavedSearch.objects.values_list("name", flat=True))
    for condition in ("MS", "ALS"):
        for therapy in (
            "stem or stromal cells",
            "neural stem or progenitor cells",
            "haematopoietic stem cell transplantation",
            "CAR-T",
            "regulatory T cells",
            "cell therapy",
        ):
            assert f"{condition} × {therapy}" in names
    assert SavedSearch.objects.filter(enabled=True).count() == 12


def test_a_curator_adds_a_saved_search_and_one_without_a_query_is_refused(curator_client):
    response = curator_client.post(
        "/admin/trials/savedsearch/add/",
        {"name": "ALS × exosomes", "intervention": "exosome", "enabled": "on"},
    )
    assert response.status_code == 302
    assert SavedSearch.objects.get(name="ALS × exosomes").params() == {"query.intr": "exosome"}

    response = curator_client.post(
        "/admin/trials/savedsearch/add/", {"name": "Everything", "enabled": "on"}
    )
    assert response.status_code == 200
    assert "would ask for the whole registry" in response.content.decode()
    assert not SavedSearch.objects.filter(name="Everything").exists()


def test_a_curator_switches_a_search_off_from_the_list(curator_client):
    searches = list(SavedSearch.objects.order_by("name"))
    data = {
        "form-TOTAL_FORMS": str(len(searches)),
        "form-INITIAL_FORMS": str(len(searches)),
        "_save": "Save",
    }
    for i, search in enumerate(searches):
        data[f"form-{i}-id"] = str(search.pk)
        if i:  # the first is switched off
            data[f"form-{i}-enabled"] = "on"
    response = curator_client.post("/admin/trials/savedsearch/", data)
    assert response.status_code == 302
    assert not SavedSearch.objects.get(pk=searches[0].pk).enabled


def _run(started_at=None, **fields):
    started_at = started_at or timezone.now() - timedelta(minutes=5)
    defaults = {
        "outcome": "ok",
        "started_at": started_at,
        "finished_at": started_at + timedelta(minutes=2),
        "summary": ["NCT99000001: created"],
    }
    return SyncRun.objects.create(**{**defaults, **fields})


def test_sync_runs_are_listed_and_shown_with_their_per_study_summary_read_only(curator_client):
    run = _run(created=3, summary=["NCT99000001: created", "<b>NCT99000002</b>: unchanged"])
    listing = curator_client.get("/admin/trials/syncrun/")
    assert listing.status_code == 200 and f"sync #{run.pk}" in listing.content.decode()
    page = curator_client.get(f"/admin/trials/syncrun/{run.pk}/change/").content.decode()
    assert "NCT99000001: created" in page
    assert "&lt;b&gt;NCT99000002&lt;/b&gt;" in page  # registry text is escaped
    assert curator_client.get("/admin/trials/syncrun/add/").status_code == 403
    assert curator_client.post(f"/admin/trials/syncrun/{run.pk}/delete/").status_code == 403


def test_the_sync_run_list_costs_the_same_queries_for_many_runs(curator_client):
    for n in range(3):
        _run(started_at=timezone.now() - timedelta(days=n + 1), created=n)
    curator_client.get("/admin/trials/syncrun/")
    with CaptureQueriesContext(connection) as few:
        curator_client.get("/admin/trials/syncrun/")
    for n in range(40):
        _run(started_at=timezone.now() - timedelta(days=n + 10), created=n)
    with CaptureQueriesContext(connection) as many:
        assert curator_client.get("/admin/trials/syncrun/").status_code == 200
    assert len(many) == len(few)


def test_the_admin_index_warns_until_a_sync_has_succeeded(curator_client):
    page = curator_client.get("/admin/").content.decode()
    assert "No registry sync has completed successfully yet" in page
    _run(outcome="failed")
    assert "No registry sync has completed" in curator_client.get("/admin/").content.decode()


def test_the_admin_index_warns_when_the_last_success_is_older_than_three_days(curator_client):
    _run(started_at=timezone.now() - timedelta(days=4))
    page = curator_client.get("/admin/").content.decode()
    assert "more than 3 days ago: statuses may be out of date" in page


def test_the_admin_index_shows_a_recent_successful_sync(curator_client):
    _run(created=2, updated=5, waiting=1)
    page = curator_client.get("/admin/").content.decode()
    assert "Last successful registry sync" in page
    assert "2 created, 5 updated, 1 waiting for a curator" in page
    assert "out of date" not in page
