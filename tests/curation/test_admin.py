"""The curators' admin: every page answers, bad values give field errors, roles are enforced."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.helpers import (
    NUROWN,
    TrialFactory,
    change_url,
    form_data_from,
    full_trial,
    product_factory,
    trial_form_data,
    with_arm,
    with_registry_id,
)
from trials import services
from trials.models import (
    CellProduct,
    Intervention,
    ProblemReport,
    RegistryId,
    RegistryRecord,
    SyncRun,
    Trial,
    Workflow,
)

pytestmark = pytest.mark.django_db

TRIAL_MODELS = [m for m in admin.site._registry if m._meta.app_label == "trials"]
# django-axes' login records have their own tests (tests/accounts/test_login.py).
SITE_MODELS = [m for m in admin.site._registry if m._meta.app_label != "axes"]
# Reports come only from the public form (tests/curation/test_reports.py checks the 403), registry
# records only from imports, sync runs only from the sync commands.
NO_ADD_PAGE = {ProblemReport, RegistryRecord, SyncRun}


def admin_urls(model, obj):
    info = (model._meta.app_label, model._meta.model_name)
    return [
        reverse("admin:{}_{}_changelist".format(*info)),
        *([] if model in NO_ADD_PAGE else [reverse("admin:{}_{}_add".format(*info))]),
        reverse("admin:{}_{}_change".format(*info), args=[obj.pk]),
    ]


def any_instance(model):
    trial = full_trial(1)
    if model is ProblemReport:
        services.problem_report_create(trial=trial, message="Synthetic report text")
    if model is RegistryRecord:
        from trials.ingest.registry import import_ctgov_file

        import_ctgov_file(NUROWN.read_bytes(), name=NUROWN.name)
    if model is CellProduct:
        product_factory()
    if model is SyncRun:
        SyncRun.objects.create(outcome="ok", summary=["NCT99000001: created"])
    return model.objects.first()


@pytest.mark.parametrize("model", TRIAL_MODELS, ids=lambda m: m.__name__)
def test_curator_can_open_every_trials_admin_page(curator_client, model):
    for url in admin_urls(model, any_instance(model)):
        assert curator_client.get(url).status_code == 200, url


@pytest.mark.parametrize("model", SITE_MODELS, ids=lambda m: m.__name__)
def test_superuser_can_open_every_admin_page(superuser_client, superuser, model):
    obj = superuser if model._meta.model_name == "user" else None
    obj = obj or (model.objects.first() if model.objects.exists() else any_instance(model))
    for url in admin_urls(model, obj):
        assert superuser_client.get(url).status_code == 200, url


def test_admin_search_finds_trials_by_registry_id(curator_client):
    target = full_trial(5, acronym="FINDME")
    full_trial(6)
    response = curator_client.get("/admin/trials/trial/?q=2020-000005-11")
    assert list(response.context["cl"].result_list) == [target]
    response = curator_client.get("/admin/trials/trial/?q=findme")
    assert list(response.context["cl"].result_list) == [target]


def test_trial_changelist_query_count_does_not_grow(curator_client):
    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert curator_client.get("/admin/trials/trial/").status_code == 200
        return len(ctx.captured_queries)

    for n in range(3):
        full_trial(n)
    few = count_queries()
    for n in range(3, 30):
        full_trial(n)
    assert count_queries() == few


# --- Saving through the change form -------------------------------------------------------


@pytest.fixture
def ms_condition_id():
    from trials.models import Condition

    return str(Condition.objects.get(slug="spms").pk)


def test_curator_adds_a_trial_with_parts_as_a_draft(curator_client, curator, ms_condition_id):
    data = with_registry_id(trial_form_data(conditions=[ms_condition_id]), "nct", "nct03282760")
    data = with_arm(data, dose_min="5000000", dose_max="24000000", dose_unit="cells")
    response = curator_client.post("/admin/trials/trial/add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    trial = Trial.objects.get(slug="adm")
    assert trial.workflow == Workflow.DRAFT
    assert trial.created_by == curator
    assert trial.registry_ids.get().identifier == "NCT03282760"
    assert trial.interventions.get().dose_max == 24_000_000


def inline_errors(response, prefix):
    for formset in response.context["inline_admin_formsets"]:
        if formset.formset.prefix == prefix:
            return formset.formset.errors
    raise AssertionError(prefix)


def test_malformed_nct_id_is_a_field_error_and_nothing_is_saved(curator_client, ms_condition_id):
    data = with_registry_id(trial_form_data(conditions=[ms_condition_id]), "nct", "NCT123")
    response = curator_client.post("/admin/trials/trial/add/", data)
    assert response.status_code == 200
    assert inline_errors(response, "registry_ids") == [
        {
            "identifier": [
                "A ClinicalTrials.gov id looks like NCT followed by 8 digits, e.g. NCT03282760."
            ]
        }
    ]
    assert not Trial.objects.exists()
    assert not RegistryId.objects.exists()


def test_negative_sample_size_is_a_field_error(curator_client, ms_condition_id):
    data = trial_form_data(conditions=[ms_condition_id], target_enrollment="-3")
    response = curator_client.post("/admin/trials/trial/add/", data)
    assert response.status_code == 200
    assert "target_enrollment" in response.context["adminform"].form.errors
    assert not Trial.objects.exists()


def test_dose_min_above_max_is_a_field_error(curator_client, ms_condition_id):
    data = with_arm(
        trial_form_data(conditions=[ms_condition_id]),
        dose_min="10",
        dose_max="5",
        dose_unit="cells",
    )
    response = curator_client.post("/admin/trials/trial/add/", data)
    assert response.status_code == 200
    assert inline_errors(response, "interventions") == [
        {"dose_max": ["The highest dose cannot be below the lowest dose."]}
    ]
    assert not Trial.objects.exists()
    assert not Intervention.objects.exists()


def test_completion_before_start_is_a_field_error(curator_client, ms_condition_id):
    data = trial_form_data(
        conditions=[ms_condition_id], start_date="2020-05-01", completion_date="2019-01-01"
    )
    response = curator_client.post("/admin/trials/trial/add/", data)
    assert response.context["adminform"].form.errors["completion_date"] == [
        "Completion date cannot be before the start date."
    ]
    assert not Trial.objects.exists()


# --- Roles ---------------------------------------------------------------------------------


def test_curator_cannot_publish_with_a_crafted_change_form(curator_client, ms_condition_id):
    trial = TrialFactory(workflow=Workflow.DRAFT, slug="adm")
    data = trial_form_data(
        conditions=[ms_condition_id],
        workflow="published",
        title="Edited",
        based_on_version=trial.version,
        change_reason="Title corrected",
    )
    response = curator_client.post(f"/admin/trials/trial/{trial.pk}/change/", data)
    assert response.status_code == 302
    trial.refresh_from_db()
    assert trial.title == "Edited"
    assert trial.workflow == Workflow.DRAFT


def test_curator_cannot_publish_with_the_bulk_action(curator_client):
    trial = TrialFactory(workflow=Workflow.IN_REVIEW)
    page = curator_client.get("/admin/trials/trial/")
    assert "publish" not in dict(page.context["action_form"].fields["action"].choices)
    bulk_step(curator_client, "publish", [trial])
    trial.refresh_from_db()
    assert trial.workflow == Workflow.IN_REVIEW


def bulk_step(client, step, trials, comment="", confirm=True):
    data = {"action": step, "_selected_action": [t.pk for t in trials]}
    if confirm:
        data |= {"confirmed": "yes", "comment": comment}
    return client.post("/admin/trials/trial/", data)


def test_curator_submits_and_reviewer_publishes(client, curator, reviewer):
    trial = TrialFactory(workflow=Workflow.DRAFT)
    client.force_login(curator)
    # The first POST only asks for confirmation and a comment.
    page = bulk_step(client, "submit", [trial], confirm=False)
    assert page.status_code == 200 and "Submit for review" in page.text
    trial.refresh_from_db()
    assert trial.workflow == Workflow.DRAFT
    bulk_step(client, "submit", [trial], comment="Ready: dose checked")
    trial.refresh_from_db()
    assert trial.workflow == Workflow.IN_REVIEW
    assert client.get(trial.get_absolute_url()).status_code == 404

    client.force_login(reviewer)
    bulk_step(client, "publish", [trial])
    trial.refresh_from_db()
    assert trial.workflow == Workflow.PUBLISHED
    assert trial.reviewed_by == reviewer
    assert trial.published_at is not None
    assert client.get(trial.get_absolute_url()).status_code == 200

    bulk_step(client, "withdraw", [trial], comment="Sponsor retracted the results")
    trial.refresh_from_db()
    assert trial.workflow == Workflow.WITHDRAWN
    assert [e.action for e in trial.events.order_by("created_at", "id")] == [
        "submit",
        "publish",
        "withdraw",
    ]


def test_anonymous_users_are_sent_to_the_login_page(client):
    response = client.get("/admin/trials/trial/")
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_view_on_site_is_offered_only_for_published_trials(curator_client):
    draft = TrialFactory(workflow=Workflow.DRAFT)
    published = TrialFactory(workflow=Workflow.PUBLISHED)
    assert not curator_client.get(change_url(draft)).context["has_absolute_url"]
    assert curator_client.get(change_url(published)).context["has_absolute_url"]


def test_a_term_cannot_be_moved_under_its_own_child(superuser_client):
    from trials.models import Condition

    ms = Condition.objects.get(slug="ms")
    response = superuser_client.post(
        f"/admin/trials/condition/{ms.pk}/change/",
        {
            "slug": "ms",
            "name": ms.name,
            "description": "",
            "mesh_id": ms.mesh_id,
            "parent": Condition.objects.get(slug="spms").pk,
        },
    )
    assert response.status_code == 200
    assert "cannot sit under itself" in response.content.decode()
    assert Condition.objects.get(slug="ms").parent is None


def test_a_rule_added_to_the_services_applies_to_admin_edits(
    curator_client, no_shouting_rule, ms_condition_id
):
    """services.TRIAL_RULES is the one place for trial rules: the admin form runs them too,
    with the message on the field, and nothing is saved."""
    trial = TrialFactory(title="Synthetic quiet trial")
    data = form_data_from(curator_client.get(change_url(trial)))
    data |= {"title": "A SHOUTED TITLE", "change_reason": "Testing the rule"}
    response = curator_client.post(change_url(trial), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["title"] == [
        "Write the title in sentence case."
    ]
    assert Trial.objects.get(pk=trial.pk).title == "Synthetic quiet trial"

    added = curator_client.post(
        "/admin/trials/trial/add/",
        trial_form_data(title="ANOTHER SHOUTED TITLE", conditions=[ms_condition_id]),
    )
    assert added.status_code == 200
    assert not Trial.objects.filter(title="ANOTHER SHOUTED TITLE").exists()
