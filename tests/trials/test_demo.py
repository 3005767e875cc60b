"""The demo catalogue: real trials with sources, loaded idempotently, answering the issue's
'done means' questions through the public pages."""

import json

import pytest
from django.core.management import call_command

from trials.demo import DEMO_FILE
from trials.models import Publication, Source, Trial, TrialPublication, Workflow

pytestmark = pytest.mark.django_db

REQUIRED_REGISTRY_IDS = {
    "NCT03282760",  # Leone
    "NCT03269071",  # STEMS
    "NCT03280056",  # NurOwn phase 3
    "NCT01640067",  # Italian hNSC ALS
    "NCT02881476",  # Polish WJ-MSC ALS
    "NCT01363401",  # Korean BM-MSC ALS
    "NCT00273364",  # MIST
    "NCT03355365",  # MSC-NP
}


@pytest.fixture
def demo():
    call_command("load_demo", verbosity=0)


def snapshot():
    return {
        model.__name__: model.objects.count()
        for model in (Trial, Publication, Source, TrialPublication)
    } | {"updated": sorted(Trial.objects.values_list("updated_at", flat=True))}


def test_load_demo_is_idempotent(demo):
    before = snapshot()
    call_command("load_demo", verbosity=0)
    assert snapshot() == before


def test_demo_has_the_required_trials_all_published_and_sourced(demo):
    ids = set(Trial.objects.values_list("registry_ids__identifier", flat=True))
    assert ids >= REQUIRED_REGISTRY_IDS
    slugs = set(Trial.objects.values_list("slug", flat=True))
    assert {"mesems", "mist-hsct-rrms", "neuralstem-nsi-566-phase-1-als"} <= slugs
    assert Trial.objects.filter(interventions__cell_type__slug="spinal-nsc").exists()  # Neuralstem
    assert set(Trial.objects.values_list("workflow", flat=True)) == {Workflow.PUBLISHED}
    assert not Trial.objects.filter(sources__isnull=True).exists()
    clinic = Trial.objects.get(listing_type="clinic")
    assert clinic.sponsor.name == "STEM PLUS"
    assert Publication.objects.filter(doi="10.1080/14712598.2024.2392307").exists()  # seed 002


def test_demo_data_leaves_unverified_facts_empty():
    data = json.loads(DEMO_FILE.read_text())
    text = json.dumps(data)
    assert "UNVERIFIED" not in text
    leone_paper = next(p for p in data["publications"] if p["journal"] == "Cell Stem Cell")
    assert not leone_paper.get("doi") and not leone_paper.get("pmid")  # not found in sources


def test_als_filter_shows_als_trials_and_no_ms_trial(client, demo):
    response = client.get("/trials/?condition=als&page_size=100")
    trials = list(response.context["trials"])
    assert trials
    for trial in trials:
        assert {c.slug for c in trial.conditions.all()} == {"als"}
    listed_ids = {r.identifier for t in trials for r in t.registry_ids.all()}
    assert {"NCT03280056", "NCT01640067", "NCT02881476", "NCT01363401"} <= listed_ids
    assert "NCT03282760" not in listed_ids


def test_msc_filter_shows_nurown_and_msc_trials_and_no_nsc_trial(client, demo):
    response = client.get("/trials/?cell_type=msc&page_size=100")
    trials = list(response.context["trials"])
    listed_ids = {r.identifier for t in trials for r in t.registry_ids.all()}
    assert {"NCT03280056", "NCT02881476", "NCT01363401", "NCT03355365"} <= listed_ids
    for trial in trials:
        slugs = {arm.cell_type.slug for arm in trial.interventions.all() if arm.cell_type}
        assert not slugs & {"nsc", "fetal-nsc", "spinal-nsc"}


def test_leone_detail_page_tells_the_story(client, demo):
    response = client.get("/trials/NCT03282760/", follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    for text in [
        "Intracerebroventricular (ICV)",
        "allogeneic (cells from a donor)",
        "Fetal brain-derived neural stem cells",
        "15 took part",
        "24 planned",
        "12 months",
        "Phase 1",
        "5 million – 24 million cells",
        "https://ctv.veeva.com/study/",
        "Sources",
    ]:
        assert text in html, text


def test_clinic_listing_shows_its_warning(client, demo):
    clinic = Trial.objects.get(listing_type="clinic")
    html = client.get(clinic.get_absolute_url()).content.decode()
    assert "this is a commercial clinic offering, not a clinical trial" in html
