"""Regressions found in review of the curation and import work (each failed before its fix)."""

import json
from unittest import mock

import pytest

from tests.helpers import NUROWN, TrialFactory, add_arm, change_url, form_data_from, nurown
from trials import history, services
from trials.ingest.registry import import_ctgov_file
from trials.models import Intervention, Outcome, RegistryId, RegistryRecord, Trial, Workflow

pytestmark = pytest.mark.django_db


def parts_of(version):
    return {repr_ for repr_, _ in history.snapshot(version).parts.values()}


# --- the admin's snapshot holds the inlines saved in the same request -------------------------


def test_an_admin_snapshot_holds_a_registry_id_added_in_the_same_save(curator_client):
    trial = TrialFactory(workflow=Workflow.DRAFT)
    services.registry_id_add(trial=trial, registry="nct", identifier="NCT01234567")
    data = form_data_from(curator_client.get(change_url(trial)))
    data |= {
        "change_reason": "Add EudraCT id",
        "registry_ids-TOTAL_FORMS": "2",
        "registry_ids-1-registry": "eudract",
        "registry_ids-1-identifier": "2020-000123-11",
        "registry_ids-1-trial": str(trial.pk),
    }
    assert curator_client.post(change_url(trial), data).status_code == 302
    latest = history.trial_versions(trial).first()
    assert latest.revision.comment == "Add EudraCT id"
    assert parts_of(latest) == {"NCT01234567", "2020-000123-11"}


def test_an_admin_snapshot_holds_an_edited_registry_id(curator_client):
    trial = TrialFactory(workflow=Workflow.DRAFT)
    services.registry_id_add(trial=trial, registry="nct", identifier="NCT01234567")
    data = form_data_from(curator_client.get(change_url(trial)))
    data |= {"change_reason": "Typo", "registry_ids-0-identifier": "NCT07654321"}
    assert curator_client.post(change_url(trial), data).status_code == 302
    assert parts_of(history.trial_versions(trial).first()) == {"NCT07654321"}


# --- revert ----------------------------------------------------------------------------------


def test_revert_restores_conditions_and_collaborators(curator):
    trial = TrialFactory(workflow=Workflow.DRAFT, conditions=["als"])
    services.trial_replace_parts(trial=trial, collaborators=["Synthetic Org A"], user=curator)
    good = history.trial_versions(trial).first()
    services.trial_replace_parts(
        trial=Trial.objects.get(pk=trial.pk),
        conditions=["spms"],
        collaborators=["Synthetic Org B"],
        user=curator,
    )
    services.trial_revert(trial=trial, revision_id=good.revision_id, user=curator, reason="Undo")
    trial = Trial.objects.get(pk=trial.pk)
    assert [c.slug for c in trial.conditions.all()] == ["als"]
    assert [o.name for o in trial.collaborators.all()] == ["Synthetic Org A"]


def test_a_revert_that_would_clash_is_refused_with_a_message(curator_client, curator):
    a = TrialFactory(workflow=Workflow.DRAFT, title="Synthetic A", slug="alpha")
    good = history.trial_versions(a).first()
    services.trial_update(trial=a, slug="alpha-2", user=curator, reason="Rename")
    TrialFactory(workflow=Workflow.DRAFT, title="Synthetic B", slug="alpha")
    response = curator_client.post(
        f"/admin/trials/trial/{a.pk}/history/{good.revision_id}/", {"reason": "Undo"}
    )
    assert response.status_code == 200
    assert "cannot be restored" in response.text
    assert Trial.objects.get(pk=a.pk).slug == "alpha-2"


def test_a_revert_when_the_old_registry_id_moved_to_another_trial(curator_client, curator):
    a = TrialFactory(workflow=Workflow.DRAFT, title="Synthetic A")
    services.registry_id_add(trial=a, registry="nct", identifier="NCT01234567")
    good = history.trial_versions(a).first()
    with services.change_record(user=curator, reason="Id belongs to B"):
        RegistryId.objects.filter(trial=a).delete()
        services.trial_update(trial=Trial.objects.get(pk=a.pk), title="Synthetic A2")
    b = TrialFactory(workflow=Workflow.DRAFT, title="Synthetic B")
    services.registry_id_add(trial=b, registry="nct", identifier="NCT01234567")
    response = curator_client.post(
        f"/admin/trials/trial/{a.pk}/history/{good.revision_id}/", {"reason": "Undo"}
    )
    assert response.status_code == 200 and "cannot be restored" in response.text
    assert list(b.registry_ids.values_list("identifier", flat=True)) == ["NCT01234567"]
    assert Trial.objects.get(pk=a.pk).title == "Synthetic A2"


# --- saves never undo a workflow step made meanwhile -----------------------------------------


def test_a_publish_during_an_admin_save_is_not_undone(curator_client, reviewer):
    trial = TrialFactory(workflow=Workflow.IN_REVIEW, title="Synthetic race")
    data = form_data_from(curator_client.get(change_url(trial)))
    data |= {"summary": "A fix", "change_reason": "Fix"}
    real = services.trial_check_version

    def publish_first(**kwargs):
        # A reviewer's publish commits while the curator's POST is being validated.
        services.trial_publish(trial=Trial.objects.get(pk=trial.pk), user=reviewer)
        return real(**kwargs)

    with mock.patch.object(services, "trial_check_version", publish_first):
        assert curator_client.post(change_url(trial), data).status_code == 302
    trial = Trial.objects.get(pk=trial.pk)
    assert trial.workflow == Workflow.PUBLISHED and trial.published_at is not None
    assert trial.summary == "A fix"


def test_a_service_edit_from_a_stale_copy_keeps_the_current_workflow(reviewer):
    trial = TrialFactory(workflow=Workflow.IN_REVIEW)
    stale = Trial.objects.get(pk=trial.pk)
    services.trial_publish(trial=trial, user=reviewer)
    services.trial_update(trial=stale, summary="Edited from an old copy")
    assert Trial.objects.get(pk=trial.pk).workflow == Workflow.PUBLISHED


def test_a_save_that_loses_the_race_says_the_changes_were_not_saved(curator_client):
    trial = TrialFactory(workflow=Workflow.DRAFT, title="Synthetic race")
    data = form_data_from(curator_client.get(change_url(trial)))
    assert (
        curator_client.post(change_url(trial), data | {"title": "First", "change_reason": "a"})
    ).status_code == 302
    # The second save passed the form check before the first committed (SQLite: no row lock).
    with mock.patch.object(services, "trial_check_version", lambda **kwargs: None):
        response = curator_client.post(
            change_url(trial), data | {"title": "Second", "change_reason": "b"}, follow=True
        )
    text = " ".join(str(m) for m in response.context["messages"])
    assert "your changes were not saved" in text
    assert Trial.objects.get(pk=trial.pk).title == "First"


# --- imports never overwrite curated parts ---------------------------------------------------


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


def test_replacing_parts_snapshots_only_the_new_parts(curator):
    trial = TrialFactory(workflow=Workflow.DRAFT)
    add_arm(trial, label="Old arm")
    services.registry_id_add(trial=trial, registry="nct", identifier="NCT01234567")
    services.trial_replace_parts(
        trial=trial,
        user=curator,
        reason="Replaced",
        registry_ids=[("nct", "NCT07654321")],
        arms=[{"label": "New arm", "cell_type": "bm-msc", "routes": ["intrathecal"]}],
    )
    assert parts_of(history.trial_versions(trial).first()) == {"NCT07654321", "New arm"}
