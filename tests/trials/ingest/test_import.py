"""Importing ClinicalTrials.gov records and RIS files into the catalogue: drafts for review,
the registry record kept, curated fields never overwritten, idempotent, and bad input writes
nothing. (The pure parsing and mapping rules are tested beside this module.)"""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from reversion.models import Revision

from tests.helpers import (
    COMPOSED,
    NUROWN,
    RIS,
    SAMPLES,
    SEED_002,
    catalogue_counts,
    nurown,
)
from trials import services
from trials.ingest.registry import import_ctgov_file
from trials.models import (
    Intervention,
    Outcome,
    Publication,
    RegistryRecord,
    Source,
    Trial,
    TrialPublication,
    Workflow,
)

pytestmark = pytest.mark.django_db


def run(command, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command(command, *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


# --- what lands -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "nct", "phase", "condition", "cell_type", "origin", "route"),
    [
        ("nurown-phase3-NCT03280056.json", "NCT03280056", "PHASE3", "als", "msc-ntf",
         "autologous", "intrathecal"),
        ("nsc-spms-leone-NCT03282760.json", "NCT03282760", "PHASE1", "spms", "fetal-nsc",
         "allogeneic", "intracerebroventricular"),
        ("korean-bm-msc-als-NCT01363401.json", "NCT01363401", "PHASE2", "als", "bm-msc",
         "autologous", "intrathecal"),
        ("stems-NCT03269071.json", "NCT03269071", "PHASE1", "spms", "fetal-nsc",
         "allogeneic", "intrathecal"),
    ],
)  # fmt: skip
def test_a_registry_record_lands_as_a_draft_with_mapped_fields_and_its_raw_json(
    name, nct, phase, condition, cell_type, origin, route, curator
):
    result = import_ctgov_file((COMPOSED / name).read_bytes(), name=name, user=curator)
    assert result.ok and [r.outcome for r in result.records] == ["created"]
    trial = result.records[0].trial
    trial.refresh_from_db()
    assert trial.workflow == Workflow.DRAFT and trial.created_by == curator
    assert trial.phase == phase
    assert condition in trial.conditions.values_list("slug", flat=True)
    cell_arms = [arm for arm in trial.interventions.all() if arm.cell_type]
    assert cell_type in {arm.cell_type.slug for arm in cell_arms}
    assert origin in {arm.origin for arm in cell_arms}
    assert route in {r.slug for arm in cell_arms for r in arm.routes.all()}
    record = RegistryRecord.objects.get(identifier=nct)
    assert record.trial == trial
    assert record.raw == json.loads((COMPOSED / name).read_text())
    assert Source.objects.get(trial=trial).url == f"https://clinicaltrials.gov/study/{nct}"
    assert trial.registry_ids.filter(identifier=nct).exists()
    # The history says who imported it and from where.
    assert Revision.objects.filter(user=curator, comment__contains=name).exists()


def test_every_shared_sample_is_imported_or_skipped_with_a_reason():
    output = run("import_ctgov", SAMPLES)
    for path in SAMPLES.iterdir():
        if path.suffix in (".json", ".xml"):
            assert path.name in output
    assert "skipped (no intervention is a cell product" in output
    assert "skipped: XML from the classic ClinicalTrials.gov API" in output
    assert Trial.objects.count() == 0  # none of them is a cell therapy


def test_all_imports_studies_that_are_not_cell_therapy_when_asked():
    run("import_ctgov", "--all", SAMPLES / "NCT02210780.json")
    trial = Trial.objects.get(registry_ids__identifier="NCT02210780")
    assert trial.workflow == Workflow.DRAFT
    assert trial.phase == "PHASE2"


def test_the_same_trial_found_by_a_secondary_id_is_updated_not_duplicated():
    # STEMS entered by hand with only its EudraCT number; the registry record names it too.
    trial = services.trial_create(title="Synthetic hand-entered STEMS", conditions=["ms"])
    services.registry_id_add(trial=trial, registry="eudract", identifier="2016-002020-86")
    stems = COMPOSED / "stems-NCT03269071.json"
    [result] = import_ctgov_file(stems.read_bytes(), name=stems.name).records
    assert result.outcome == "updated"
    assert Trial.objects.count() == 1
    assert RegistryRecord.objects.get().trial == trial
    trial.refresh_from_db()
    assert trial.title == "Synthetic hand-entered STEMS"  # curated, kept


def test_reimporting_the_same_file_changes_nothing():
    run("import_ctgov", COMPOSED)
    before = catalogue_counts()
    versions = {t.pk: t.version for t in Trial.objects.all()}
    output = run("import_ctgov", COMPOSED)
    assert "0 created, 0 updated" in output and " created," not in output.replace("0 created", "")
    assert catalogue_counts() == before  # no new trial, record, publication or history
    assert {t.pk: t.version for t in Trial.objects.all()} == versions


# --- curated fields survive ---------------------------------------------------------------------


def test_curated_fields_survive_a_reimport_and_wait_for_the_curator(curator, curator_client):
    [created] = import_ctgov_file(NUROWN.read_bytes(), name="v1.json").records
    trial = created.trial
    # A curator corrects the enrollment; nobody touches the status.
    services.trial_update(trial=trial, actual_enrollment=189, user=curator, reason="Per paper")
    later = nurown(
        **{"designModule.enrollmentInfo": {"count": 200, "type": "ACTUAL"}},
        **{"statusModule": {"overallStatus": "TERMINATED"}},
    )
    [updated] = import_ctgov_file(later, name="v2.json").records
    assert updated.outcome == "updated"
    trial.refresh_from_db()
    assert trial.actual_enrollment == 189  # curated: kept
    assert trial.status == "TERMINATED"  # not curated: follows the registry
    record = RegistryRecord.objects.get(trial=trial)
    assert record.pending["actual_enrollment"] == {"registry": 200, "curated": 189}

    # Importing the same later file again is a no-op; the curated value still stands.
    assert [r.outcome for r in import_ctgov_file(later, name="v2.json").records] == ["unchanged"]

    # The curator sees both values and takes the registry's.
    page = curator_client.get(f"/admin/trials/registryrecord/{record.pk}/change/")
    assert page.status_code == 200 and "189" in page.text and "200" in page.text
    settle = f"/admin/trials/registryrecord/{record.pk}/settle/actual_enrollment/"
    assert curator_client.get(settle + "?choice=accept").status_code == 200
    trial.refresh_from_db()
    assert trial.actual_enrollment == 189  # a GET changes nothing
    curator_client.post(settle, {"choice": "accept"})
    trial.refresh_from_db()
    assert trial.actual_enrollment == 200
    assert RegistryRecord.objects.get(trial=trial).pending == {}


def test_curated_arms_are_kept_when_the_registry_changes_its_arms(curator):
    [created] = import_ctgov_file(NUROWN.read_bytes(), name="v1.json").records
    services.trial_replace_parts(
        trial=created.trial,
        user=curator,
        arms=[{"label": "MSC-NTF (curated)", "cell_type": "msc-ntf", "routes": ["intrathecal"]}],
    )
    later = json.loads(nurown())
    later["protocolSection"]["armsInterventionsModule"]["armGroups"][0]["label"] = "Renamed"
    [updated] = import_ctgov_file(json.dumps(later).encode(), name="v2.json").records
    assert "arms" in updated.pending
    assert [a.label for a in created.trial.interventions.all()] == ["MSC-NTF (curated)"]


def test_curated_outcome_results_survive_a_registry_change_to_outcomes(curator):
    [created] = import_ctgov_file(NUROWN.read_bytes(), name="v1.json").records
    first = created.trial.outcomes.order_by("position").first()
    Outcome.objects.filter(pk=first.pk).update(result="Not met", primary_endpoint_met="no")
    study = json.loads(nurown())
    study["protocolSection"]["outcomesModule"]["secondaryOutcomes"] = [
        {"measure": "ALSFRS-R change", "timeFrame": "28 weeks"}
    ]
    [updated] = import_ctgov_file(json.dumps(study).encode(), name="v2.json").records
    assert "outcomes" in updated.pending
    results = set(Outcome.objects.filter(trial=created.trial).values_list("result", flat=True))
    assert "Not met" in results


def test_curated_arm_details_survive_a_registry_change_to_arms(curator):
    [created] = import_ctgov_file(NUROWN.read_bytes(), name="v1.json").records
    arm = created.trial.interventions.order_by("position").first()
    Intervention.objects.filter(pk=arm.pk).update(co_treatment="tacrolimus for 6 months")
    study = json.loads(nurown())
    study["protocolSection"]["armsInterventionsModule"]["armGroups"][0]["description"] += " (v2)"
    [updated] = import_ctgov_file(json.dumps(study).encode(), name="v2.json").records
    assert "arms" in updated.pending
    assert Intervention.objects.filter(co_treatment="tacrolimus for 6 months").exists()


def test_a_value_a_curator_cleared_is_not_refilled_by_the_registry(curator):
    [created] = import_ctgov_file(NUROWN.read_bytes(), name="v1.json").records
    trial = Trial.objects.get(pk=created.trial.pk)
    services.trial_replace_parts(trial=trial, collaborators=[], user=curator, reason="Wrong")
    study = json.loads(nurown())
    study["protocolSection"]["sponsorCollaboratorsModule"]["collaborators"] = [
        {"name": "Another Synthetic Collaborator", "class": "OTHER"}
    ]
    [updated] = import_ctgov_file(json.dumps(study).encode(), name="v2.json").records
    assert list(trial.collaborators.all()) == []
    assert "collaborators" in updated.pending


def test_a_waiting_value_the_registry_no_longer_states_is_dropped(curator, curator_client):
    v1 = nurown(**{"designModule.enrollmentInfo": {"count": 30, "type": "ESTIMATED"}})
    [created] = import_ctgov_file(v1, name="v1.json").records
    trial = Trial.objects.get(pk=created.trial.pk)
    services.trial_update(trial=trial, target_enrollment=24, user=curator, reason="Protocol")
    import_ctgov_file(
        nurown(**{"designModule.enrollmentInfo": {"count": 28, "type": "ESTIMATED"}}), name="2"
    )
    record = RegistryRecord.objects.get()
    assert "target_enrollment" in record.pending
    import_ctgov_file(
        nurown(**{"designModule.enrollmentInfo": {"count": 20, "type": "ACTUAL"}}), name="3"
    )
    record.refresh_from_db()
    assert "target_enrollment" not in record.pending
    response = curator_client.post(
        f"/admin/trials/registryrecord/{record.pk}/settle/target_enrollment/", {"choice": "accept"}
    )
    assert response.status_code == 302  # "nothing waiting" message, not a 500
    assert Trial.objects.get(pk=trial.pk).target_enrollment == 24


# --- bad input writes nothing -------------------------------------------------------------------


def good_and_bad(bad_study) -> bytes:
    """A search response whose first study is fine and whose second is not."""
    return json.dumps({"studies": [json.loads(NUROWN.read_text()), bad_study]}).encode()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"protocolSection": {"identificationModule": ', "truncated"),
        (b"{not json at all", "not valid JSON"),
        (b'{"hello": "world"}', "not a ClinicalTrials.gov study"),
        (b"", "empty"),
        (nurown(**{"designModule.phases": ["PHASE9"]}), "PHASE9"),
        (good_and_bad({"protocolSection": {"identificationModule": {"nctId": "X1"}}}), "record 2"),
    ],
)
def test_bad_files_are_refused_by_name_and_write_nothing(tmp_path, content, message):
    bad = tmp_path / "bad-file.json"
    bad.write_bytes(content)
    good = tmp_path / "a-good-one.json"
    good.write_bytes(NUROWN.read_bytes())
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 of 2 file"):
        call_command("import_ctgov", str(good), str(bad), stdout=io.StringIO(), stderr=err)
    assert "bad-file.json" in err.getvalue() and message in err.getvalue()
    # One transaction per file: the good file is in, nothing of the bad one.
    assert Trial.objects.count() == 1
    assert RegistryRecord.objects.get().source_name == "a-good-one.json"


@pytest.mark.parametrize(
    "content",
    [
        b'{"protocolSection": {"identificationModule": ',
        nurown(**{"designModule.phases": ["PHASE9"]}),
        good_and_bad({"protocolSection": {"identificationModule": {"nctId": "X1"}}}),
        good_and_bad(
            {"protocolSection": {"identificationModule": {"nctId": "NCT00000001"},
                                 "designModule": {"phases": ["NOPE"]}}}
        ),
    ],
)  # fmt: skip
def test_a_bad_file_writes_nothing(tmp_path, content):
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    with pytest.raises(CommandError):
        call_command("import_ctgov", str(bad), stdout=io.StringIO(), stderr=io.StringIO())
    assert catalogue_counts() == (0, 0, 0, 0)


def test_a_50_mb_file_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "huge.json"
    with big.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_ctgov", str(big), stdout=io.StringIO(), stderr=err)
    assert "huge.json" in err.getvalue() and "50.0 MB" in err.getvalue()
    assert catalogue_counts() == (0, 0, 0, 0)


# --- RIS ----------------------------------------------------------------------------------------


def test_seed_002_imports_with_authors_year_journal_and_doi():
    output = run("import_ris", SEED_002)
    assert "1 new publication" in output
    publication = Publication.objects.get()
    assert publication.year == 2024
    assert publication.journal == "Expert Opinion on Biological Therapy"
    assert publication.doi.startswith("10.1080/")
    assert len(publication.authors.splitlines()) == 17
    # Again: matched by DOI, not duplicated.
    assert "1 already in the catalogue" in run("import_ris", SEED_002)
    assert Publication.objects.count() == 1


def test_ris_samples_import_in_both_dialects():
    run("import_ris", RIS / "asreview_pubmed_zotero.ris", RIS / "asreview_embase.ris")
    assert Publication.objects.count() >= 2
    assert not Publication.objects.filter(title="").exists()
    assert Publication.objects.filter(year__isnull=False).exists()


def test_ris_records_link_to_a_trial_named_in_their_text_or_chosen(tmp_path):
    trial = services.trial_create(title="Synthetic RIS target", conditions=["als"])
    services.registry_id_add(trial=trial, registry="nct", identifier="NCT01234567")
    chosen = services.trial_create(title="Synthetic chosen", conditions=["ms"])
    ris = tmp_path / "mentions.ris"
    ris.write_text(
        "TY  - JOUR\nAU  - Doe, Jane\nTI  - Synthetic paper about NCT01234567\n"
        "T2  - Synthetic Journal\nPY  - 2021\nDO  - 10.5555/synthetic.ris\nER  - \n"
    )
    run("import_ris", "--trial", chosen.slug, "--role", "primary_results", ris)
    links = {(link.trial.title, link.role) for link in TrialPublication.objects.all()}
    assert links == {
        ("Synthetic RIS target", "primary_results"),
        ("Synthetic chosen", "primary_results"),
    }


def test_a_ris_record_without_its_end_tag_writes_nothing(tmp_path):
    ris = tmp_path / "cut.ris"
    ris.write_text(
        "TY  - JOUR\nTI  - Synthetic complete\nPY  - 2020\nER  - \n"
        "TY  - JOUR\nTI  - Synthetic cut short\nPY  - 2021\n"
    )
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_ris", str(ris), stdout=io.StringIO(), stderr=err)
    assert "cut.ris" in err.getvalue() and "line 5" in err.getvalue()
    assert Publication.objects.count() == 0


# --- the summary -------------------------------------------------------------------------------


def test_the_summary_says_what_an_update_changed(curator):
    trial = services.trial_create(title="Synthetic hand-entered NurOwn", conditions=["als"])
    services.registry_id_add(trial=trial, registry="nct", identifier="NCT03280056")
    output = run("import_ctgov", NUROWN)
    # Empty fields follow the registry; the curated title stays and waits.
    assert "NCT03280056: updated (" in output and "phase" in output
    assert "curated, registry differs: title" in output
    later = nurown(**{"statusModule": {"overallStatus": "COMPLETED"}})
    trial.refresh_from_db()
    services.trial_update(trial=trial, status="TERMINATED", user=curator, reason="Per sponsor")
    [result] = import_ctgov_file(later, name="later.json").records
    assert result.outcome == "updated" and result.detail == "the registry record only"


def test_a_reimport_moves_the_registry_status_check_along(curator):
    # Issue 9: the status is dated by the registry's statusVerifiedDate, and a later download
    # with a newer verified month updates the date (nobody edited it by hand).
    first = nurown(
        **{"statusModule": {"overallStatus": "COMPLETED", "statusVerifiedDate": "2024-02"}}
    )
    [created] = import_ctgov_file(first, name="first.json", user=curator).records
    trial = created.trial
    trial.refresh_from_db()
    assert trial.status_check_display == "registry, checked Feb 2024"
    later = nurown(
        **{"statusModule": {"overallStatus": "COMPLETED", "statusVerifiedDate": "2025-06"}}
    )
    [updated] = import_ctgov_file(later, name="later.json", user=curator).records
    assert updated.outcome == "updated" and "status_checked" in updated.changed
    trial.refresh_from_db()
    assert trial.status_check_display == "registry, checked Jun 2025"


def test_accepting_a_registry_value_refuses_when_another_curator_changed_the_field(curator):
    """Issue 11: "Use the registry's" overwrote an edit made after the value was offered."""
    from django.core.exceptions import ValidationError

    from trials.ingest.registry import accept_pending

    [created] = import_ctgov_file(NUROWN.read_bytes(), name="v1.json").records
    trial = created.trial
    services.trial_update(trial=trial, actual_enrollment=189, user=curator, reason="Per paper")
    later = nurown(**{"designModule.enrollmentInfo": {"count": 200, "type": "ACTUAL"}})
    import_ctgov_file(later, name="v2.json")
    record = RegistryRecord.objects.get(trial=trial)
    # Another curator saves a newer, version-checked value after the registry's was offered.
    trial.refresh_from_db()
    services.trial_update(
        trial=trial, expected_version=trial.version, actual_enrollment=190, user=curator
    )
    with pytest.raises(ValidationError, match="Someone changed actual_enrollment"):
        accept_pending(record, "actual_enrollment", user=curator)
    trial.refresh_from_db()
    assert trial.actual_enrollment == 190
    assert "actual_enrollment" in RegistryRecord.objects.get(pk=record.pk).pending


def test_a_study_nested_1200_levels_deep_is_refused_and_writes_nothing():
    """It used to import, and its registry-record admin page then answered 500."""
    study = json.loads(NUROWN.read_text())
    deep: dict = {}
    node = deep
    for _ in range(1_200):
        node["x"] = {}
        node = node["x"]
    study["protocolSection"]["descriptionModule"] = {"briefSummary": "x", "extra": deep}
    before = catalogue_counts()
    # json.dumps itself cannot write 1,200 levels with the default recursion limit.
    import sys

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(5_000)
    try:
        data = json.dumps(study).encode()
    finally:
        sys.setrecursionlimit(limit)
    result = import_ctgov_file(data, name="deep.json")
    assert "nested" in result.error
    assert catalogue_counts() == before
