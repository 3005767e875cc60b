"""The demo catalogue: real trials with sources, loaded idempotently, answering the issue's
'done means' questions through the public pages."""

import json

import pytest
from django.core.management import call_command

from tests.helpers import body_of
from trials.demo import DEMO_FILE, DEMO_FILES, read_demo
from trials.models import ListingType, Publication, Source, Trial, TrialPublication, Workflow

pytestmark = pytest.mark.django_db

# Demo records loaded before issue 9 whose status no source dates (left as they were).
OLD_UNDATED: set[str] = set()

# Records that name both diseases (the 2010 Hadassah paper; a clinic offering both).
MS_AND_ALS = {"hadassah-msc-it-iv-ms-als", "stem-cells-transplant-institute-clinic"}

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
def demo(whole_catalogue):
    """The whole catalogue, loaded once for this module (tests/conftest.py)."""


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
    clinic = Trial.objects.get(slug="stem-plus-bulgaria-ms-clinic")
    assert clinic.sponsor.name == "STEM PLUS"
    assert Publication.objects.filter(doi="10.1080/14712598.2024.2392307").exists()  # seed 002


def test_demo_data_leaves_unverified_facts_empty():
    for path in DEMO_FILES:
        assert "UNVERIFIED" not in path.read_text(encoding="utf-8"), path.name
    data = json.loads(DEMO_FILE.read_text())
    leone_paper = next(p for p in data["publications"] if p["journal"] == "Cell Stem Cell")
    assert not leone_paper.get("doi") and not leone_paper.get("pmid")  # not found in sources


def as_models(rows) -> list[Trial]:
    """The list's rows (cards, browse/cards.py) as the trials they show, in order."""
    found = Trial.objects.for_list().in_bulk([row.pk for row in rows])
    return [found[row.pk] for row in rows]


def test_als_filter_shows_als_trials_and_no_ms_trial(client, demo):
    response = client.get("/trials/?condition=als&page_size=100")
    trials = as_models(response.context["trials"])
    assert trials
    for trial in trials:
        assert "als" in {c.slug for c in trial.conditions.all()}
        assert not {c.slug for c in trial.conditions.all()} & {"ms", "rrms", "spms", "ppms"} or (
            trial.slug in MS_AND_ALS
        )
    listed_ids = {r.identifier for t in trials for r in t.registry_ids.all()}
    assert {"NCT03280056", "NCT01640067", "NCT02881476", "NCT01363401"} <= listed_ids
    assert "NCT03282760" not in listed_ids


def test_msc_filter_shows_nurown_and_msc_trials_and_no_nsc_trial(client, demo):
    response = client.get("/trials/?cell_type=msc&page_size=100")
    trials = as_models(response.context["trials"])
    listed_ids = {r.identifier for t in trials for r in t.registry_ids.all()}
    assert {"NCT03280056", "NCT02881476", "NCT01363401", "NCT03355365"} <= listed_ids
    for trial in trials:
        slugs = {arm.cell_type.slug for arm in trial.interventions.all() if arm.cell_type}
        assert not slugs & {"nsc", "fetal-nsc", "spinal-nsc", "glial-progenitors"}


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


def test_every_clinic_listing_shows_its_warning(client, demo):
    clinics = Trial.objects.filter(listing_type=ListingType.CLINIC)
    assert clinics.count() >= 8
    for clinic in clinics:
        html = client.get(clinic.get_absolute_url()).content.decode()
        assert "this is a commercial clinic offering, not a clinical trial" in html, clinic.slug


# --- Issue 9: the real catalogue -------------------------------------------------------------


def listed(client, query: str) -> list[Trial]:
    response = client.get(f"/trials/?{query}&page_size=100")
    assert response.status_code == 200
    return as_models(response.context["trials"])


def test_home_page_counts_the_whole_catalogue(client, demo):
    response = client.get("/")
    trials = Trial.objects.published().exclude(listing_type=ListingType.CLINIC).count()
    assert trials >= 65
    assert response.context["clinic_count"] >= 8
    assert response.context["trial_count"] == trials + response.context["clinic_count"]
    html = response.content.decode()
    assert f"{response.context['trial_count']} published records" in html


def test_als_and_ms_each_list_at_least_28_trials(client, demo):
    assert len(listed(client, "condition=als")) >= 28
    assert len(listed(client, "condition=ms")) >= 28


@pytest.mark.parametrize(
    ("cell_type", "registry_ids"),
    [
        # reference-trials-more.md, summary table: the rows with these cell types.
        ("car-t", {"NCT06451159", "NCT06384976", "NCT06220201", "NCT06617793", "NCT06675864"}),
        ("treg", {"NCT03241784", "NCT04055623", "NCT05695521"}),
        # HSCT rows of both files: MIST, BEAT-MS, HALT-MS, Canadian MS/BMT, RAM-MS, StarMS,
        # COAST, the Mexico programme (ASTIMS has no registry id; checked by slug below).
        (
            "hsc",
            {
                "NCT00273364",
                "NCT04047628",
                "NCT00288626",
                "NCT01099930",
                "NCT03477500",
                "ISRCTN88667898",
                "NCT04971005",
                "NCT02674217",
            },
        ),
    ],
)
def test_cell_type_filters_find_the_trials_the_file_lists(client, demo, cell_type, registry_ids):
    trials = listed(client, f"cell_type={cell_type}")
    found = {r.identifier for t in trials for r in t.registry_ids.all()}
    assert registry_ids <= found
    if cell_type == "hsc":
        assert "astims" in {t.slug for t in trials}


def test_intranodal_route_finds_the_tolerogenic_dendritic_cell_trial(client, demo):
    trials = listed(client, "route=intranodal")
    assert [t.slug for t in trials] == ["tolervit-ms"]
    assert "NCT02903537" in {r.identifier for r in trials[0].registry_ids.all()}


def test_every_published_record_cites_a_source_with_an_address(demo):
    published = Trial.objects.published()
    assert not published.filter(sources__isnull=True).exists()
    assert not Source.objects.filter(url="").exists()


def test_unverified_appears_in_no_page_and_no_export(client, demo):
    urls = ["/", "/trials/?page_size=100", "/trials/export.csv", "/trials/export.json"]
    urls += [trial.get_absolute_url() for trial in Trial.objects.published()]
    urls += [f"/conditions/{slug}/" for slug in ("ms", "als", "progressive-ms")]
    urls += [f"/cell-types/{slug}/" for slug in ("bm-mnc", "tol-dc", "msc", "immune-cells")]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = body_of(response)
        assert b"unverified" not in body.lower(), url


def test_loading_the_whole_catalogue_twice_changes_nothing(demo):
    before = snapshot()
    call_command("load_demo", verbosity=0)
    assert snapshot() == before


def test_every_demo_record_names_its_reference_row_and_slugs_are_unique():
    data = read_demo()
    slugs = [record["slug"] for record in data["trials"]]
    assert len(slugs) == len(set(slugs))
    assert all(record.get("reference_row") for record in data["trials"])
    keys = [record["key"] for record in data["publications"]]
    assert len(keys) == len(set(keys))


def test_disagreeing_sources_are_shown_not_silently_resolved(client, demo):
    # reference-trials-more.md M9: 20 participants on ClinicalTrials.gov, 23 on meddatax.
    html = client.get("/trials/NCT03799718/", follow=True).content.decode()
    assert "ClinicalTrials.gov lists 20 participants; meddatax lists 23" in html
    # M2: the sources disagree on the status, so none is shown, and the notes say why.
    trial = Trial.objects.get(slug="msc-np-expanded-access-progressive-ms")
    assert trial.status == "" and "no longer available" in trial.evidence_notes


def test_statuses_carry_when_and_by_what_they_were_confirmed(client, demo):
    # M12: ClinicalTrials.gov last verified the record in November 2012.
    html = client.get("/trials/NCT01364246/", follow=True).content.decode()
    assert "Unknown status — registry, checked Nov 2012" in html
    assert "possibly out of date" in html
    dated = Trial.objects.published().exclude(status="")
    assert dated.count() >= 40  # 42 when written: every status a source states
    assert not dated.filter(status_source="").exclude(slug__in=OLD_UNDATED).exists()
