"""Backups: export_trials writes every trial, in every workflow state, as JSON Lines: the public
export record of each trial plus everything a restore needs, private fields included, which the
public export never shows."""

import datetime
import io
import json
import re

import pytest
from django.core.management import call_command
from django.db.models import F

from tests.factories import add_arm, full_trial
from trials import services
from trials.models import (
    Intervention,
    Outcome,
    Publication,
    Trial,
    Workflow,
)

pytestmark = pytest.mark.django_db


def every_field(n: int, **fields) -> dict:
    """Every plain trial field set to something other than its default."""
    return {
        "title": f"Synthetic test trial {n} with every field",
        "acronym": f"SYN-{n}",
        "listing_type": "study",
        "pay_to_participate": False,
        "summary": f"Synthetic summary {n}.",
        "participants": "Synthetic participants, 18–65 years.",
        "phase": "PHASE1_PHASE2",
        "status": "TERMINATED",
        "allocation": "RANDOMIZED",
        "masking": "DOUBLE",
        "control": "placebo",
        "design_notes": "Synthetic crossover at week 24.",
        "target_enrollment": 40,
        "actual_enrollment": 38,
        "follow_up_months": 24,
        "follow_up_detail": "Then every 6 months to 5 years.",
        "start_date": datetime.date(2019, 3, 1),
        "start_date_precision": "month",
        "primary_completion_date": datetime.date(2021, 1, 1),
        "primary_completion_date_precision": "year",
        "completion_date": datetime.date(2022, 6, 15),
        "has_results": True,
        "results_summary": "Synthetic results: “safe”, nothing more.",
        "serious_adverse_events": 3,
        "treatment_related_saes": 1,
        "deaths": 0,
        "last_verified": datetime.date(2024, 5, 2),
        "curator_notes": f"PRIVATE-CURATOR-NOTE-{n}: ask the sponsor about cohort B.",
        "conditions": ("spms", "als"),
        **fields,
    }


def fill_parts(trial: Trial, n: int, shared: Publication) -> Trial:
    """Add to a `full_trial` the parts and fields the factory leaves at their defaults."""
    services.registry_id_add(trial=trial, registry="isrctn", identifier=f"ISRCTN{10000000 + n}")
    services.registry_id_add(trial=trial, registry="other", identifier=f"SYN-REG-{n}")
    add_arm(
        trial,
        label="Placebo arm",
        role="placebo",
        cell_type=None,
        routes=[],
        description="Synthetic saline.",
    )
    add_arm(
        trial,
        label="High dose",
        cell_type="msc-ntf",
        routes=["intramuscular", "intrathecal"],
        description="Synthetic MSC-NTF cells.",
        origin="allogeneic",
        tissue_source="umbilical_cord",
        dose_min=1_000_000,
        dose_max=125_000_000,
        dose_unit="cells_per_kg",
        dose_detail="4 dose levels, 3 patients each.",
        administrations=3,
        interval="every 8 weeks",
        co_treatment="tacrolimus for 6 months",
    )
    services.outcome_add(
        trial=trial,
        measure="Synthetic ALSFRS-R slope",
        kind="primary",
        time_frame="28 weeks",
        result="No difference from placebo.",
        primary_endpoint_met="no",
    )
    services.outcome_add(trial=trial, measure="Synthetic deaths", kind="safety", time_frame="1 y")
    services.site_add(trial=trial, country="DE", city="Ulm", name="Synthetic site B")
    services.source_add(
        trial=trial,
        title="Synthetic press release",
        url=f"https://example.org/press/{n}",
        kind="press",
        accessed_on=datetime.date(2024, 1, 31),
        supports="dose, N",
    )
    full = services.publication_get_or_create(
        title=f"Synthetic protocol paper {n}",
        authors="Doe, Jane\nRoe, Richard",
        et_al=True,
        journal="Synthetic Journal",
        year=2021,
        volume="12",
        issue="3",
        pages="e2294",
        doi=f"10.5555/synthetic.protocol.{n}",
        pmid=f"{99000000 + n}",
        pmcid=f"PMC{9000000 + n}",
        url=f"https://example.org/paper/{n}",
    )
    services.publication_link(trial=trial, publication=full, role="protocol")
    services.publication_link(trial=trial, publication=shared, role="review")
    collaborator = services.organisation_get_or_create(
        name=f"Synthetic university {n}", country="IT", website="https://example.org/uni"
    )
    trial.collaborators.add(collaborator)
    return trial


@pytest.fixture
def catalogue(curator, reviewer):
    """The demo (13 published trials) plus a draft, one in review and one withdrawn trial with
    every field and every part filled, moved through the workflow by the services."""
    call_command("load_demo", verbosity=0)
    shared = services.publication_get_or_create(
        title="Synthetic review shared by two trials", journal="Synthetic Reviews", year=2020
    )
    draft = fill_parts(
        full_trial(
            101,
            **every_field(
                101, workflow=Workflow.DRAFT, created_by=curator, pay_to_participate=None
            ),
        ),
        101,
        shared,
    )
    in_review = fill_parts(
        full_trial(102, **every_field(102, workflow=Workflow.DRAFT, created_by=curator)),
        102,
        shared,
    )
    services.trial_submit(trial=in_review, user=curator)
    withdrawn = fill_parts(
        full_trial(103, **every_field(103, workflow=Workflow.DRAFT, created_by=curator)),
        103,
        Publication.objects.get(doi="10.1002/stem.1079"),  # a demo paper, shared
    )
    services.trial_submit(trial=withdrawn, user=curator)
    services.trial_publish(trial=withdrawn, user=reviewer)
    services.trial_withdraw(trial=withdrawn, user=reviewer)
    # A precision without its date still shows in the admin, so it must survive too.
    services.trial_update(trial=draft, start_date=None, start_date_precision="year")
    # What curators and the locking services leave behind: arms reordered in the admin
    # (positions with gaps and ties), an edit counter, the "edited since review" flag.
    Intervention.objects.filter(trial=draft).update(position=F("position") * 3 + 1)
    Outcome.objects.filter(trial=in_review).update(position=2)
    Trial.objects.filter(pk=withdrawn.pk).update(version=7, edited_since_review=True)
    services.trials_reindex(trial_ids=[draft.pk, in_review.pk, withdrawn.pk])
    # A sponsor no trial uses any more is still part of the catalogue.
    services.organisation_get_or_create(name="Synthetic former sponsor", country="FR")
    return {"draft": draft, "in_review": in_review, "withdrawn": withdrawn}


def export(path, *args) -> list[str]:
    call_command("export_trials", "--output", str(path), *args, stderr=io.StringIO())
    return path.read_text(encoding="utf-8").splitlines()


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    body = b"".join(response.streaming_content) if response.streaming else response.content
    # Per-request tokens are not data.
    return re.sub(r'(csrfmiddlewaretoken" value|nonce)="[^"]*"', "", body.decode())


def test_export_writes_every_trial_in_every_state_by_id(catalogue):
    out = io.StringIO()
    call_command("export_trials", stdout=out, stderr=io.StringIO())  # default: standard output
    header, *body, end = [json.loads(line) for line in out.getvalue().splitlines()]

    assert header["record"] == "header"
    assert (header["format"], header["version"]) == ("trial-tracker-backup", 1)
    trials = [record for record in body if record["record"] == "trial"]
    assert [t["slug"] for t in trials] == list(
        Trial.objects.order_by("pk").values_list("slug", flat=True)
    )
    assert {t["workflow"] for t in trials} == set(Workflow.values)
    # Rows no trial refers to: the demo's three unlinked papers and the former sponsor.
    assert [r["record"] for r in body[len(trials) :]] == ["publication"] * 3 + ["organisation"]
    assert end == {"record": "end", "trials": 16, "publications": 3, "organisations": 1}


def extends(backup, public) -> bool:
    """`backup` holds every key of `public` with the same value, nested objects included."""
    if isinstance(public, dict):
        return isinstance(backup, dict) and all(
            key in backup and extends(backup[key], value) for key, value in public.items()
        )
    if isinstance(public, list):
        return (
            isinstance(backup, list)
            and len(backup) == len(public)
            and all(extends(b, p) for b, p in zip(backup, public, strict=True))
        )
    return backup == public


def test_a_backup_line_is_the_public_record_plus_backup_fields(catalogue, client, tmp_path):
    lines = export(tmp_path / "backup.jsonl", "--base-url", "http://testserver/")
    records = [json.loads(line) for line in lines]
    backup = {record["slug"]: record for record in records if record["record"] == "trial"}
    public = json.loads(page(client, "/trials/export.json"))
    assert len(public) == 13
    for record in public:
        assert extends(backup[record["slug"]], record), record["slug"]


def test_curator_notes_are_in_the_backup_but_not_in_the_public_export(catalogue, client, tmp_path):
    published = Trial.objects.published().first()
    services.trial_update(trial=published, curator_notes="PRIVATE-CURATOR-NOTE-PUBLISHED")
    text = "\n".join(export(tmp_path / "backup.jsonl"))
    public = page(client, "/trials/export.json")

    assert "PRIVATE-CURATOR-NOTE-101" in text  # the draft's
    assert "PRIVATE-CURATOR-NOTE-PUBLISHED" in text
    assert published.slug in public  # the published trial is exported, without its notes
    assert "PRIVATE-CURATOR-NOTE" not in public
    assert "curator_notes" not in public
    assert "PRIVATE-CURATOR-NOTE" not in page(client, "/trials/export.csv")
