"""Curation you can trust: history on every write path, revert with parts, no lost edits,
atomic writes, the review queue and the role matrix."""

from unittest import mock

import pytest
from django.core.management import call_command
from django.forms import CheckboxInput, NullBooleanSelect
from django.test import Client
from reversion.models import Version

from tests.factories import TrialFactory, add_arm
from tests.trials.test_admin import trial_form_data, with_arm, with_registry_id
from trials import history, services
from trials.demo import DEMO_FILE
from trials.models import Intervention, RegistryId, Trial, Workflow

pytestmark = pytest.mark.django_db


def revisions(trial):
    """(username or None, reason) of each snapshot of the trial, oldest first."""
    return [
        (v.revision.user.username if v.revision.user else None, v.revision.comment)
        for v in history.trial_versions(trial).order_by("revision__date_created", "pk")
    ]


def form_data_from(page) -> dict:
    """What a browser would post back from an admin change page, unchanged."""

    def put(form, data):
        for name, field in form.fields.items():
            value = form[name].value()
            key = form.add_prefix(name)
            if isinstance(field.widget, CheckboxInput):
                if value:
                    data[key] = "on"
            elif isinstance(field.widget, NullBooleanSelect):
                data[key] = {True: "true", False: "false"}.get(value, "unknown")
            elif isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            else:
                data[key] = "" if value is None else str(value)

    data: dict = {}
    put(page.context["adminform"].form, data)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        put(formset.management_form, data)
        for form in formset.forms:
            put(form, data)
    return data


def change_url(trial):
    return f"/admin/trials/trial/{trial.pk}/change/"


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


def test_send_back_without_a_comment_is_refused(reviewer_client):
    trial = TrialFactory(workflow=Workflow.IN_REVIEW)
    page = reviewer_client.post(
        f"/admin/trials/trial/{trial.pk}/workflow/send_back/", {"comment": " "}
    )
    assert page.status_code == 200
    assert page.context["form"].errors["comment"]
    trial.refresh_from_db()
    assert trial.workflow == Workflow.IN_REVIEW


def test_management_commands_record_their_name_as_the_reason():
    call_command("load_demo", str(DEMO_FILE), stdout=mock.MagicMock())
    trial = Trial.objects.get(slug="nurown-phase-3-als")
    [(user, reason)] = revisions(trial)
    assert user is None
    assert reason.startswith("load_demo:")
    # Published by the loader, not flagged as edited after publication.
    assert trial.workflow == Workflow.PUBLISHED and not trial.edited_since_review
    assert trial.events.get().action == "publish"


# --- editing a published trial ---------------------------------------------------------------


def test_edits_to_a_published_trial_go_live_and_wait_in_the_review_queue(
    client, curator_client, reviewer_client
):
    trial = TrialFactory(workflow=Workflow.PUBLISHED, title="Synthetic live trial")
    Trial.objects.filter(pk=trial.pk).update(edited_since_review=False)
    data = form_data_from(curator_client.get(change_url(trial)))
    data |= {"title": "Synthetic live trial, corrected", "change_reason": "Title per registry"}
    assert curator_client.post(change_url(trial), data).status_code == 302
    trial.refresh_from_db()
    assert trial.workflow == Workflow.PUBLISHED and trial.edited_since_review
    assert "corrected" in client.get(trial.get_absolute_url()).text

    queue = reviewer_client.get("/admin/trials/trial/?queue=needs_review")
    assert [t.pk for t in queue.context["cl"].result_list] == [trial.pk]
    reviewer_client.post(
        f"/admin/trials/trial/{trial.pk}/workflow/approve_edits/", {"comment": "Checked"}
    )
    trial.refresh_from_db()
    assert not trial.edited_since_review
    queue = reviewer_client.get("/admin/trials/trial/?queue=needs_review")
    assert list(queue.context["cl"].result_list) == []


def test_mark_verified_sets_last_verified_and_logs_it(curator_client):
    trial = TrialFactory(workflow=Workflow.PUBLISHED)
    assert trial.last_verified is None
    curator_client.post(f"/admin/trials/trial/{trial.pk}/workflow/mark_verified/", {})
    trial.refresh_from_db()
    assert trial.last_verified is not None
    assert revisions(trial)[-1] == ("cora-curator", "Marked verified")


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


# --- atomicity -------------------------------------------------------------------------------


def test_an_admin_save_that_fails_half_way_leaves_no_rows(curator_client):
    from trials.models import Condition

    spms = str(Condition.objects.get(slug="spms").pk)
    data = with_arm(with_registry_id(trial_form_data(conditions=[spms]), "nct", "NCT03282760"))
    # The trial and its inlines are written, then indexing blows up.
    with (
        mock.patch.object(services, "trials_reindex", side_effect=RuntimeError("injected")),
        pytest.raises(RuntimeError, match="injected"),
    ):
        curator_client.post("/admin/trials/trial/add/", data)
    assert not Trial.objects.filter(slug="adm").exists()
    assert not RegistryId.objects.filter(identifier="NCT03282760").exists()
    assert not Intervention.objects.filter(label="Arm A").exists()
    assert not Version.objects.exists()


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


# --- role matrix -----------------------------------------------------------------------------

STEPS = ["submit", "publish", "send_back", "withdraw", "approve_edits", "mark_verified"]
# Which role may take each step (the trial starts in a state where the step makes sense).
START = {
    "submit": Workflow.DRAFT,
    "publish": Workflow.IN_REVIEW,
    "send_back": Workflow.IN_REVIEW,
    "withdraw": Workflow.PUBLISHED,
    "approve_edits": Workflow.PUBLISHED,
    "mark_verified": Workflow.DRAFT,
}
ALLOWED = {
    "anonymous": set(),
    "curator": {"submit", "mark_verified"},
    "reviewer": set(STEPS),
    "superuser": set(STEPS),
}


@pytest.fixture
def as_role(client, curator, reviewer, superuser):
    def login(role):
        users = {"curator": curator, "reviewer": reviewer, "superuser": superuser}
        if role in users:
            client.force_login(users[role])
        return client

    return login


def _state(trial):
    trial.refresh_from_db()
    return trial.workflow, trial.edited_since_review, trial.last_verified


@pytest.mark.parametrize("role", list(ALLOWED))
@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("via", ["page", "bulk"])
def test_role_matrix_for_every_workflow_step(as_role, role, step, via):
    trial = TrialFactory(workflow=START[step])
    Trial.objects.filter(pk=trial.pk).update(edited_since_review=step == "approve_edits")
    before = _state(trial)
    client = as_role(role)
    if via == "page":
        response = client.post(
            f"/admin/trials/trial/{trial.pk}/workflow/{step}/", {"comment": "Role matrix"}
        )
    else:
        response = client.post(
            "/admin/trials/trial/",
            {
                "action": step,
                "_selected_action": [trial.pk],
                "confirmed": "yes",
                "comment": "Role matrix",
            },
        )
    if role == "anonymous":
        assert response.status_code == 302 and "/admin/login/" in response.url
    if step in ALLOWED[role]:
        assert _state(trial) != before, f"{role} should be able to {step}"
    else:
        assert _state(trial) == before, f"{role} must not be able to {step}"


ADMIN_URLS = {
    # url template → roles that may open it (others: 403, anonymous: login)
    "/admin/trials/trial/": {"curator", "reviewer", "superuser"},
    "/admin/trials/trial/add/": {"curator", "reviewer", "superuser"},
    "/admin/trials/trial/{pk}/change/": {"curator", "reviewer", "superuser"},
    "/admin/trials/trial/{pk}/history/": {"curator", "reviewer", "superuser"},
    "/admin/trials/trial/{pk}/history/{rev}/": {"curator", "reviewer", "superuser"},
    "/admin/trials/trial/{pk}/workflow/submit/": {"curator", "reviewer", "superuser"},
    "/admin/trials/trial/{pk}/delete/": {"superuser"},
    "/admin/trials/trial/?queue=needs_review": {"curator", "reviewer", "superuser"},
    "/admin/trials/problemreport/": {"curator", "reviewer", "superuser"},
    "/admin/trials/registryrecord/": {"curator", "reviewer", "superuser"},
    "/admin/trials/registryrecord/upload/": {"curator", "reviewer", "superuser"},
    "/admin/trials/publication/upload-ris/": {"curator", "reviewer", "superuser"},
    "/admin/axes/accessattempt/": {"superuser"},
}


@pytest.mark.parametrize("role", list(ALLOWED))
@pytest.mark.parametrize("url", list(ADMIN_URLS))
def test_role_matrix_for_admin_urls(as_role, role, url):
    trial = TrialFactory(workflow=Workflow.DRAFT)
    rev = history.trial_versions(trial).first().revision_id
    response = as_role(role).get(url.format(pk=trial.pk, rev=rev))
    if role == "anonymous":
        assert response.status_code == 302 and "/admin/login/" in response.url
    elif role in ADMIN_URLS[url]:
        assert response.status_code == 200
    else:
        assert response.status_code in (403, 404)


def test_a_restore_from_backup_records_each_trial_in_the_history(tmp_path):
    from trials.backup import RESTORE_REASON

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


@pytest.mark.parametrize("workflow", [Workflow.DRAFT, Workflow.IN_REVIEW, Workflow.WITHDRAWN])
def test_an_unpublished_trial_is_not_reachable_by_any_public_url(client, workflow):
    trial = TrialFactory(workflow=workflow, title="ZZUNPUBLISHEDZZ trial")
    services.registry_id_add(trial=trial, registry="nct", identifier="NCT09990001")
    for url in [
        trial.get_absolute_url(),
        "/trials/NCT09990001/",
        "/trials/?q=NCT09990001",
    ]:
        response = client.get(url, follow=True)
        assert b"ZZUNPUBLISHEDZZ" not in response.content, url
    assert client.get(trial.get_absolute_url()).status_code == 404
    report = client.post(trial.get_absolute_url() + "report/", {"message": "Wrong dose"})
    assert report.status_code == 404
    assert not trial.reports.exists()


def test_view_on_site_is_offered_only_for_published_trials(curator_client):
    draft = TrialFactory(workflow=Workflow.DRAFT)
    published = TrialFactory(workflow=Workflow.PUBLISHED)
    assert not curator_client.get(change_url(draft)).context["has_absolute_url"]
    assert curator_client.get(change_url(published)).context["has_absolute_url"]


def test_the_report_address_opened_directly_goes_back_to_the_form(client):
    trial = TrialFactory(workflow=Workflow.PUBLISHED)
    response = client.get(trial.get_absolute_url() + "report/")
    assert response.status_code == 302
    assert response.url == trial.get_absolute_url() + "#report"
    draft = TrialFactory(workflow=Workflow.DRAFT)
    assert client.get(draft.get_absolute_url() + "report/").status_code == 404


def test_favicon_ico_points_at_the_svg_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response.url.endswith("favicon.svg")
