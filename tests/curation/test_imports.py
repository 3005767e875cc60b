"""Imports in the admin: uploading registry JSON and RIS files, and settling a value the
registry changed after a curator edited it. (The import itself: tests/trials/ingest/.)"""

import io

import pytest

from tests.helpers import NUROWN, SAMPLES, SEED_002, catalogue_counts, nurown
from trials import services
from trials.ingest.registry import import_ctgov_file
from trials.models import RegistryRecord, Trial, TrialPublication, Workflow

pytestmark = pytest.mark.django_db


# --- uploads ---------------------------------------------------------------------------------


def test_a_curator_uploads_json_files_in_the_admin(curator_client, curator):
    page = curator_client.get("/admin/trials/registryrecord/upload/")
    assert page.status_code == 200
    with NUROWN.open("rb") as one, (SAMPLES / "NCT00763412.json").open("rb") as two:
        response = curator_client.post(
            "/admin/trials/registryrecord/upload/", {"files": [one, two]}
        )
    assert response.status_code == 200
    trial = Trial.objects.get()
    assert trial.workflow == Workflow.DRAFT and trial.created_by == curator
    assert f"/admin/trials/trial/{trial.pk}/change/" in response.text
    assert "no intervention is a cell product" in response.text


def test_a_bad_upload_reports_the_file_and_writes_nothing(curator_client):
    bad = io.BytesIO(b'{"studies": [{"protocolSection": {}}]}')
    bad.name = "broken.json"
    response = curator_client.post("/admin/trials/registryrecord/upload/", {"files": [bad]})
    assert response.status_code == 200, response.context["form"].errors
    assert "broken.json" in response.text and "nothing from this file was imported" in response.text
    assert catalogue_counts() == (0, 0, 0, 0)


def test_the_ris_upload_page_links_to_a_chosen_trial(curator_client):
    trial = services.trial_create(title="Synthetic upload target", conditions=["als"])
    with SEED_002.open("rb") as ris:
        response = curator_client.post(
            "/admin/trials/publication/upload-ris/",
            {"file": ris, "trial": trial.slug, "role": "review"},
        )
    assert response.status_code == 200
    assert TrialPublication.objects.get().trial == trial
    missing = curator_client.post(
        "/admin/trials/publication/upload-ris/",
        {"file": io.BytesIO(b"x"), "trial": "NCT99999999", "role": "review"},
    )
    assert "No trial has the slug or registry id" in missing.text


@pytest.mark.parametrize(
    "url", ["/admin/trials/registryrecord/upload/", "/admin/trials/publication/upload-ris/"]
)
def test_upload_pages_need_staff_with_add_permission(client, django_user_model, url):
    assert client.get(url).status_code == 302
    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    client.force_login(viewer)
    assert client.get(url).status_code == 403


def test_an_oversized_upload_is_refused_with_a_field_error(curator_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    big = SimpleUploadedFile("big.json", b" " * (11 * 1024 * 1024), "application/json")
    response = curator_client.post("/admin/trials/registryrecord/upload/", {"files": [big]})
    assert response.status_code == 200
    assert "big.json is 11.0 MB; the limit is 10 MB" in " ".join(
        response.context["form"].errors["files"]
    )
    assert catalogue_counts() == (0, 0, 0, 0)


# --- settling a waiting value ----------------------------------------------------------------


def test_a_curator_can_keep_the_curated_value(curator, curator_client):
    [created] = import_ctgov_file(NUROWN.read_bytes(), name="v1.json").records
    services.trial_update(trial=created.trial, phase="PHASE2", user=curator, reason="Per paper")
    import_ctgov_file(nurown(**{"designModule.phases": ["PHASE4"]}), name="v2.json")
    record = RegistryRecord.objects.get()
    assert "phase" in record.pending
    curator_client.post(
        f"/admin/trials/registryrecord/{record.pk}/settle/phase/", {"choice": "dismiss"}
    )
    record.refresh_from_db()
    assert record.pending == {}
    assert Trial.objects.get().phase == "PHASE2"
