"""History through the admin: every admin write records the curator and the reason with the parts
saved in the same request, revert with parts, no lost edits, atomic saves. (Through the services:
tests/trials/test_history.py.)"""

from unittest import mock

import pytest
from django.test import Client
from reversion.models import Version

from tests.helpers import (
    TrialFactory,
    add_arm,
    change_url,
    form_data_from,
    parts_of,
    revisions,
    trial_form_data,
    with_arm,
    with_registry_id,
)
from trials import history, services
from trials.models import Intervention, RegistryId, Trial, Workflow

pytestmark = pytest.mark.django_db


# --- history on every write path -------------------------------------------------------------


def test_admin_add_and_change_record_the_curator_and_the_reason(
    curator_client, curator, django_user_model
):
    from trials.models import Condition

    spms = str(Condition.objects.get(slug="spms").pk)
    data = with_arm(with_registry_id(trial_form_data(conditions=[spms]), "nct", "NCT03282760"))
    assert curator_client.post("/admin/trials/trial/add/", data).status_code == 302
    trial = Trial.objects.get(slug="adm")
    page = curator_client.get(change_url(trial))
    edit = form_data_from(page) | {"title": "Edited title", "change_reason": "Typo in title"}
    assert curator_client.post(change_url(trial), edit).status_code == 302
    assert revisions(trial) == [
        ("cora-curator", "Created"),
        ("cora-curator", "Typo in title"),
    ]
    # The snapshot holds the inlines saved in the same request.
    parts = history.snapshot(history.trial_versions(trial).first()).parts
    assert {repr_ for repr_, _ in parts.values()} == {"NCT03282760", "Arm A"}


def test_a_change_without_a_reason_is_refused(curator_client):
    trial = TrialFactory(workflow=Workflow.DRAFT, title="Synthetic untouched")
    data = form_data_from(curator_client.get(change_url(trial))) | {"title": "Changed"}
    response = curator_client.post(change_url(trial), data)
    assert response.status_code == 200
    assert "change_reason" in response.context["adminform"].form.errors
    trial.refresh_from_db()
    assert trial.title == "Synthetic untouched"


def test_bulk_actions_record_one_entry_per_trial_with_the_comment(reviewer_client):
    trials = [TrialFactory(workflow=Workflow.IN_REVIEW) for _ in range(2)]
    reviewer_client.post(
        "/admin/trials/trial/",
        {
            "action": "send_back",
            "_selected_action": [t.pk for t in trials],
            "confirmed": "yes",
            "comment": "Cite the registry record",
        },
    )
    for trial in trials:
        assert revisions(trial)[-1] == (
            "rex-reviewer",
            "Sent back to draft: Cite the registry record",
        )
        assert trial.events.get().comment == "Cite the registry record"


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


def test_revert_restores_fields_and_parts(curator, curator_client):
    trial = TrialFactory(workflow=Workflow.DRAFT, phase="PHASE1")
    services.registry_id_add(trial=trial, registry="nct", identifier="NCT01234567")
    add_arm(trial, label="Original arm", cell_type="bm-msc", routes=["intrathecal"])
    good = history.trial_versions(trial).first()

    # Later: the phase changes, an arm is added, the registry id is deleted, and the
    # original arm's route is changed, all through the admin form.
    data = form_data_from(curator_client.get(change_url(trial)))
    data |= {"phase": "PHASE2", "change_reason": "Mistaken edit", "registry_ids-0-DELETE": "on"}
    from trials.models import Route

    data["interventions-0-routes"] = [str(Route.objects.get(slug="intravenous").pk)]
    response = curator_client.post(change_url(trial), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    add_arm(trial, label="Added later")
    assert not RegistryId.objects.filter(trial=trial).exists()

    page = curator_client.get(f"/admin/trials/trial/{trial.pk}/history/{good.revision_id}/")
    assert page.status_code == 200
    assert "Added later" in page.text  # what reverting would remove
    response = curator_client.post(
        f"/admin/trials/trial/{trial.pk}/history/{good.revision_id}/",
        {"reason": "Undo the mistaken edit"},
    )
    assert response.status_code == 302
    trial.refresh_from_db()
    assert trial.phase == "PHASE1"
    assert list(trial.registry_ids.values_list("identifier", flat=True)) == ["NCT01234567"]
    arms = Intervention.objects.filter(trial=trial)
    assert [arm.label for arm in arms] == ["Original arm"]
    assert [r.slug for r in arms[0].routes.all()] == ["intrathecal"]
    assert trial.workflow == Workflow.DRAFT  # the workflow state is not rolled back
    assert revisions(trial)[-1][0] == "cora-curator"
    assert "Undo the mistaken edit" in revisions(trial)[-1][1]
    assert trial.events.first().action == "revert"


def test_revert_needs_a_reason_and_change_permission(client, curator_client, django_user_model):
    trial = TrialFactory(workflow=Workflow.DRAFT)
    first = history.trial_versions(trial).first()
    services.trial_update(trial=trial, title="Synthetic changed")
    url = f"/admin/trials/trial/{trial.pk}/history/{first.revision_id}/"
    assert curator_client.post(url, {"reason": ""}).status_code == 200
    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_trial"))
    client.force_login(viewer)
    assert client.post(url, {"reason": "Nope"}).status_code == 403
    trial.refresh_from_db()
    assert trial.title == "Synthetic changed"


def test_history_pages_show_who_when_why_and_a_diff(curator_client, curator):
    trial = TrialFactory(workflow=Workflow.DRAFT, phase="PHASE1", created_by=curator)
    services.trial_update(trial=trial, phase="PHASE2", user=curator, reason="Per the protocol")
    page = curator_client.get(f"/admin/trials/trial/{trial.pk}/history/")
    assert page.status_code == 200
    assert "Per the protocol" in page.text and "cora-curator" in page.text
    latest = history.trial_versions(trial).first()
    diff = curator_client.get(f"/admin/trials/trial/{trial.pk}/history/{latest.revision_id}/")
    changes = [(c.field, c.old, c.new) for c in diff.context["changes"]]
    assert ("phase", "Phase 1", "Phase 2") in changes


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


# --- no lost updates -------------------------------------------------------------------------


def test_the_second_of_two_concurrent_admin_saves_is_refused_and_nothing_is_lost(curator, reviewer):
    trial = TrialFactory(workflow=Workflow.DRAFT, phase="PHASE1", title="Synthetic shared")
    first, second = Client(), Client()
    first.force_login(curator)
    second.force_login(reviewer)
    # Both open the same version of the trial.
    data_first = form_data_from(first.get(change_url(trial)))
    data_second = form_data_from(second.get(change_url(trial)))

    data_first |= {"phase": "PHASE2", "change_reason": "Phase per registry"}
    assert first.post(change_url(trial), data_first).status_code == 302

    data_second |= {"title": "Synthetic shared (renamed)", "change_reason": "Rename"}
    refused = second.post(change_url(trial), data_second)
    assert refused.status_code == 200
    errors = " ".join(refused.context["adminform"].form.non_field_errors())
    assert "Someone else saved this trial while you were editing it (cora-curator" in errors
    assert "phase: Phase 1 → Phase 2" in errors
    # The refused curator's input is still in the form; the first save is intact.
    assert refused.context["adminform"].form["title"].value() == "Synthetic shared (renamed)"
    trial.refresh_from_db()
    assert (trial.phase, trial.title) == ("PHASE2", "Synthetic shared")

    # Re-opened, the second curator's change applies on top of the first.
    data_again = form_data_from(second.get(change_url(trial)))
    data_again |= {"title": "Synthetic shared (renamed)", "change_reason": "Rename"}
    assert second.post(change_url(trial), data_again).status_code == 302
    trial.refresh_from_db()
    assert (trial.phase, trial.title) == ("PHASE2", "Synthetic shared (renamed)")


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


# --- atomicity -------------------------------------------------------------------------------


def test_an_admin_save_that_fails_half_way_leaves_no_rows(curator_client):
    from trials.models import Condition

    spms = str(Condition.objects.get(slug="spms").pk)
    data = with_arm(with_registry_id(trial_form_data(conditions=[spms]), "nct", "NCT03282760"))
    # The trial and its inlines are written, then indexing blows up.
    with (
        mock.patch("trials.services.index.trials_reindex", side_effect=RuntimeError("injected")),
        pytest.raises(RuntimeError, match="injected"),
    ):
        curator_client.post("/admin/trials/trial/add/", data)
    assert not Trial.objects.filter(slug="adm").exists()
    assert not RegistryId.objects.filter(identifier="NCT03282760").exists()
    assert not Intervention.objects.filter(label="Arm A").exists()
    assert not Version.objects.exists()
