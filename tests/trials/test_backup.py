"""Backups: export_trials writes every trial as JSON Lines, import_trials restores it through the
services into an empty catalogue, all or nothing. The round trip must lose nothing: the second
export equals the first line by line, every stored column of every trial and part is back, and
the public pages read the same."""

import datetime
import io
import json
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F

from tests.helpers import add_arm, body_of, full_trial
from trials import services
from trials.demo import DEMO_FILE
from trials.models import (
    CellProduct,
    CellType,
    Condition,
    FacetValue,
    Intervention,
    Organisation,
    Outcome,
    Publication,
    RegistryId,
    Route,
    Site,
    Source,
    Trial,
    TrialPublication,
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
        "status_checked": datetime.date(2024, 10, 1),
        "status_checked_precision": "month",
        "status_source": "registry_verified",
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
        "evidence_notes": "Synthetic: the registry lists 40, the paper 38.",
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
    call_command("load_demo", str(DEMO_FILE), verbosity=0)  # the first 13 records
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
    body = body_of(response)
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
    # The demo's four cell products first (trials link to them), then the trials, then rows no
    # trial refers to: the demo's three unlinked papers and the former sponsor.
    assert [r["record"] for r in body[:4]] == ["product"] * 4
    assert [r["record"] for r in body[4 + len(trials) :]] == ["publication"] * 3 + ["organisation"]
    assert end == {
        "record": "end",
        "trials": 16,
        "publications": 3,
        "organisations": 1,
        "products": 4,
    }


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


def import_file(path) -> str:
    out = io.StringIO()
    call_command("import_trials", str(path), stdout=out)
    return out.getvalue()


def wipe():
    """Empty the catalogue, shared publications and organisations too, so the import has to
    recreate every row (users and vocabularies stay, as in a fresh migrated database)."""
    services.trials_delete(queryset=Trial.objects.all())
    Publication.objects.all().delete()
    Organisation.objects.all().delete()
    CellProduct.objects.all().delete()


CATALOGUE_MODELS = (
    CellProduct,
    Trial,
    RegistryId,
    Intervention,
    Outcome,
    Site,
    Source,
    Publication,
    TrialPublication,
    Organisation,
    FacetValue,
)


def natural(obj):
    if obj is None:
        return None
    for model, key in (
        (Trial, "slug"),
        (Condition, "slug"),
        (CellType, "slug"),
        (Route, "slug"),
        (CellProduct, "slug"),
    ):
        if isinstance(obj, model):
            return getattr(obj, key)
    if isinstance(obj, Organisation):
        return obj.name
    if hasattr(obj, "get_username"):
        return obj.get_username()
    return repr(stored(obj))  # a publication: all its columns


def stored(obj) -> dict:
    """Every stored column of a row except its id, relations by natural key: a field added
    to a model later fails the round trip until the backup carries it."""
    row = {}
    for model_field in obj._meta.concrete_fields:
        if model_field.primary_key:
            continue
        if model_field.is_relation:
            row[model_field.name] = natural(getattr(obj, model_field.name))
        else:
            value = getattr(obj, model_field.attname)
            row[model_field.name] = getattr(value, "code", value)  # django-countries
    for m2m in obj._meta.many_to_many:
        if m2m.remote_field.through._meta.auto_created:
            row[m2m.name] = sorted(natural(item) for item in getattr(obj, m2m.name).all())
    return row


def snapshot() -> dict:
    return {
        model.__name__: sorted(repr(stored(obj)) for obj in model.objects.all())
        for model in CATALOGUE_MODELS
    }


def public_pages(client) -> dict:
    urls = [
        "/",
        "/trials/?page_size=100",
        "/trials/?condition=als&sort=start",
        "/conditions/ms/",
        "/cell-types/msc/",
        "/trials/export.json",
        "/trials/export.csv",
    ]
    urls += [trial.get_absolute_url() for trial in Trial.objects.published()]
    return {url: page(client, url) for url in urls}


def test_round_trip_loses_nothing(catalogue, client, tmp_path, curator, reviewer):
    first = export(tmp_path / "first.jsonl")
    before, pages_before = snapshot(), public_pages(client)
    assert len(first) == 1 + 4 + 16 + 4 + 1  # header, products, trials, unlinked rows, end
    wipe()
    assert Trial.objects.count() == Publication.objects.count() == 0

    summary = import_file(tmp_path / "first.jsonl")

    assert "Imported 16 trial(s) (1 draft, 1 in review, 13 published, 1 withdrawn)" in summary
    assert "reference(s) to users" not in summary
    second = export(tmp_path / "second.jsonl")
    # Only the header's `exported_at` may differ.
    assert json.loads(first[0]) | {"exported_at": None} == json.loads(second[0]) | {
        "exported_at": None
    }
    assert first[1:] == second[1:]
    assert snapshot() == before
    assert public_pages(client) == pages_before
    # The workflow as it was, and the browse index counts only the published trials.
    restored = Trial.objects.get(slug=catalogue["withdrawn"].slug)
    assert (restored.workflow, restored.reviewed_by, restored.created_by) == (
        Workflow.WITHDRAWN,
        reviewer,
        curator,
    )
    response = client.get("/trials/?page_size=100")
    assert response.context["paginator"].count == 13
    assert catalogue["draft"].slug not in pages_before["/trials/?page_size=100"]


def test_unknown_usernames_are_left_empty_and_counted(catalogue, tmp_path):
    path = tmp_path / "backup.jsonl"
    lines = export(path)
    records = [json.loads(line) for line in lines]
    for record in records:
        if record.get("slug") in (catalogue["draft"].slug, catalogue["in_review"].slug):
            record["created_by"] = "someone-gone"
    path.write_text("\n".join(json.dumps(record) for record in records) + "\n")
    wipe()

    summary = import_file(path)

    assert "2 reference(s) to users who do not exist here were left empty" in summary
    assert "someone-gone (2)" in summary
    assert Trial.objects.get(slug=catalogue["draft"].slug).created_by is None
    assert Trial.objects.get(slug=catalogue["withdrawn"].slug).created_by is not None


@pytest.fixture
def small_backup(curator, tmp_path):
    """A three-trial backup of an emptied catalogue, for the bad-input tests."""
    shared = services.publication_get_or_create(title="Synthetic shared review", year=2020)
    for n in (201, 202, 203):
        fill_parts(full_trial(n, **every_field(n, created_by=curator)), n, shared)
    path = tmp_path / "backup.jsonl"
    lines = export(path)
    assert len(lines) == 5
    wipe()
    return path, lines


def nothing_written():
    return all(not model.objects.exists() for model in CATALOGUE_MODELS)


def edit(lines: list[str], number: int, change) -> list[str]:
    """The file with line `number` (1-based) changed by `change(record)`."""
    record = json.loads(lines[number - 1])
    change(record)
    return [*lines[: number - 1], json.dumps(record), *lines[number:]]


def set_key(key, value):
    return lambda record: record.__setitem__(key, value)


def first_arm_doses(record):
    record["interventions"][0].update(dose_min=10, dose_max=5, dose_unit="cells")


def contradict_shared_publication(record):
    shared = next(p for p in record["publications"] if p["title"] == "Synthetic shared review")
    shared["volume"] = "99"


BAD_FILES = {
    "malformed JSON": (
        lambda lines: [*lines[:2], '{"record": "trial", "slug": oops}', *lines[3:]],
        "line 3: not valid JSON",
    ),
    "unknown condition slug": (
        lambda lines: edit(lines, 3, set_key("conditions", ["als", "no-such-disease"])),
        "line 3: conditions: unknown condition slug(s): no-such-disease",
    ),
    "unknown route slug": (
        lambda lines: edit(
            lines, 4, lambda r: r["interventions"][1].__setitem__("routes", ["by-mail"])
        ),
        "line 4: interventions[1].routes: unknown route slug(s): by-mail",
    ),
    "missing required field": (
        lambda lines: edit(lines, 3, lambda record: record.pop("workflow")),
        "line 3: workflow: missing",
    ),
    "wrong type": (
        lambda lines: edit(lines, 3, set_key("target_enrollment", "forty")),
        'line 3: target_enrollment: expected a whole number, got "forty"',
    ),
    "unknown workflow state": (
        lambda lines: edit(lines, 3, set_key("workflow", "archived")),
        "line 3: workflow: Value 'archived' is not a valid choice.",
    ),
    "constraint violation": (
        lambda lines: edit(lines, 3, first_arm_doses),
        "line 3: interventions[0].dose_max: The highest dose cannot be below the lowest dose.",
    ),
    "registry id of another trial": (
        lambda lines: edit(lines, 3, set_key("registries", json.loads(lines[1])["registries"])),
        "line 3: registries[0]: This registry id already belongs to a trial.",
    ),
    "publication that contradicts an earlier line": (
        lambda lines: edit(lines, 3, contradict_shared_publication),
        "line 3: publications[2].volume: an existing publication matches this one but has "
        "volume '', not '99'",
    ),
    "truncated last line": (
        lambda lines: [*lines[:3], lines[3][: len(lines[3]) // 2]],
        "line 4: not valid JSON",
    ),
    "cut at a line break": (
        lambda lines: lines[:4],
        "line 4: the file ends without its end record",
    ),
    "newer format": (
        lambda lines: edit(lines, 1, set_key("version", 2)),
        "line 1: version: this tracker reads version 1, not 2",
    ),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_input_names_the_line_and_field_and_writes_nothing(case, small_backup):
    path, lines = small_backup
    mangle, message = BAD_FILES[case]
    path.write_text("\n".join(mangle(lines)) + "\n", encoding="utf-8")

    with pytest.raises(CommandError) as raised:
        import_file(path)

    assert message in str(raised.value)
    assert str(raised.value).endswith("Nothing was imported.")
    assert raised.value.returncode == 1  # manage.py exits with it
    assert nothing_written()


def test_truncated_last_line_says_so(small_backup):
    path, lines = small_backup
    path.write_text("\n".join([*lines[:-1], lines[-1][:-5]]), encoding="utf-8")
    with pytest.raises(CommandError, match=r"line 5: .*the file looks truncated"):
        import_file(path)
    assert nothing_written()


def test_import_refuses_a_database_with_trials(small_backup):
    path, _lines = small_backup
    full_trial(300)
    before = snapshot()
    with pytest.raises(CommandError, match="already holds 1 trial"):
        import_file(path)
    assert snapshot() == before


def test_the_same_file_imports_once_fixed(small_backup):
    path, lines = small_backup
    path.write_text("\n".join(edit(lines, 3, set_key("conditions", ["nope"]))) + "\n")
    with pytest.raises(CommandError):
        import_file(path)
    path.write_text("\n".join(lines) + "\n")
    assert "Imported 3 trial(s) (0 draft, 0 in review, 3 published, 0 withdrawn)" in import_file(
        path
    )


def test_a_backup_written_before_status_checks_existed_still_restores(catalogue, tmp_path):
    # Issue 9 added status_checked / status_source (public) and status_check / evidence_notes
    # (backup only). A format-1 file from before has none of them.
    path = tmp_path / "old.jsonl"
    records = [json.loads(line) for line in export(path)]
    added = ("status_checked", "status_source", "status_check", "evidence_notes")
    for record in records:
        for key in added:
            record.pop(key, None)
    path.write_text("\n".join(json.dumps(record) for record in records) + "\n")
    wipe()

    assert "Imported 16 trial(s)" in import_file(path)
    restored = Trial.objects.get(slug=catalogue["draft"].slug)
    assert restored.status == "TERMINATED"  # the status itself was always in the backup
    assert (restored.status_checked, restored.status_source, restored.evidence_notes) == (
        None,
        "",
        "",
    )
