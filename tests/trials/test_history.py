"""History and version locking through the services: every write records who and why with the
parts, a stale edit is refused, and a write that fails half-way leaves nothing. (Through the
admin: tests/curation/test_history.py.)"""

from unittest import mock

import pytest
from django.core.management import call_command

from tests.helpers import TrialFactory, add_arm, parts_of, revisions
from trials import history, services
from trials.demo import DEMO_FILE
from trials.models import Trial, Workflow

pytestmark = pytest.mark.django_db


# --- history on every write path -------------------------------------------------------------


def test_services_record_who_and_why_with_the_parts(curator):
    trial = TrialFactory(workflow=Workflow.DRAFT, created_by=curator)
    add_arm(trial, label="Arm A", user=curator, reason="Arm from the 2016 paper")
    services.trial_update(trial=trial, phase="PHASE2", user=curator, reason="Phase corrected")
    assert revisions(trial) == [
        ("cora-curator", "Created"),
        ("cora-curator", "Arm from the 2016 paper"),
        ("cora-curator", "Phase corrected"),
    ]
    latest = history.trial_versions(trial).first()
    parts = history.snapshot(latest).parts
    assert [repr_ for repr_, _ in parts.values()] == ["Arm A"]


def test_management_commands_record_their_name_as_the_reason():
    call_command("load_demo", str(DEMO_FILE), stdout=mock.MagicMock())
    trial = Trial.objects.get(slug="nurown-phase-3-als")
    [(user, reason)] = revisions(trial)
    assert user is None
    assert reason.startswith("load_demo:")
    # Published by the loader, not flagged as edited after publication.
    assert trial.workflow == Workflow.PUBLISHED and not trial.edited_since_review
    assert trial.events.get().action == "publish"


def test_a_restore_from_backup_records_each_trial_in_the_history(tmp_path):
    from trials.backup.restore import RESTORE_REASON

    call_command("load_demo", str(DEMO_FILE), stdout=mock.MagicMock())  # the first 13 records
    backup = tmp_path / "backup.jsonl"
    call_command("export_trials", "--output", str(backup), stdout=mock.MagicMock())
    services.trials_delete(queryset=Trial.objects.all())
    call_command("import_trials", str(backup), stdout=mock.MagicMock())
    restored = Trial.objects.all()
    assert restored.count() == 13
    for trial in restored:
        user, reason = revisions(trial)[-1]
        assert (user, reason) == (None, RESTORE_REASON)
        # The snapshot is the trial as restored, bookkeeping included.
        assert history.trial_versions(trial).first().field_dict["version"] == trial.version


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


# --- no lost updates -------------------------------------------------------------------------


def test_services_refuse_a_stale_version():
    trial = TrialFactory(workflow=Workflow.DRAFT, title="Synthetic v1")
    opened = trial.version
    services.trial_update(trial=Trial.objects.get(pk=trial.pk), title="Synthetic v2")
    with pytest.raises(services.StaleEditError):
        services.trial_update(trial=trial, expected_version=opened, title="Synthetic v3")
    assert Trial.objects.get(pk=trial.pk).title == "Synthetic v2"


def test_one_edit_moves_the_version_by_one_with_or_without_a_check():
    trial = TrialFactory(workflow=Workflow.DRAFT)
    opened = trial.version
    services.trial_update(trial=trial, expected_version=opened, title="Synthetic checked")
    assert Trial.objects.get(pk=trial.pk).version == opened + 1
    services.trial_update(trial=trial, title="Synthetic unchecked")
    assert Trial.objects.get(pk=trial.pk).version == opened + 2


def test_a_change_to_a_part_alone_moves_the_version():
    trial = TrialFactory(workflow=Workflow.DRAFT)
    opened = trial.version
    add_arm(trial)
    assert Trial.objects.get(pk=trial.pk).version == opened + 1


def test_a_service_edit_from_a_stale_copy_keeps_the_current_workflow(reviewer):
    trial = TrialFactory(workflow=Workflow.IN_REVIEW)
    stale = Trial.objects.get(pk=trial.pk)
    services.trial_publish(trial=trial, user=reviewer)
    services.trial_update(trial=stale, summary="Edited from an old copy")
    assert Trial.objects.get(pk=trial.pk).workflow == Workflow.PUBLISHED


# --- atomicity -------------------------------------------------------------------------------


def test_a_service_that_fails_while_recording_history_writes_nothing():
    with (
        mock.patch("reversion.add_to_revision", side_effect=RuntimeError("injected")),
        pytest.raises(RuntimeError),
    ):
        services.trial_create(title="Synthetic atomic", conditions=["als"])
    assert not Trial.objects.filter(title="Synthetic atomic").exists()


def test_an_import_scope_that_fails_rolls_back_every_trial_in_it():
    with (
        pytest.raises(Exception, match="Unknown route"),
        services.change_record(reason="import"),
    ):
        trial = services.trial_create(title="Synthetic scoped", conditions=["als"])
        add_arm(trial, routes=["not-a-route"])
    assert not Trial.objects.filter(title="Synthetic scoped").exists()
