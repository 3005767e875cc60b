"""The admin offers exactly the workflow steps of the services' one table: a button for each
step that applies to the trial and that the user may take, a bulk action for each step the user
may take, and nothing else."""

import re

import pytest

from trials import services
from trials.models import Trial, Workflow

pytestmark = pytest.mark.django_db

STATES = [Workflow.DRAFT, Workflow.IN_REVIEW, Workflow.PUBLISHED, Workflow.WITHDRAWN]


def buttons(client, trial) -> set[str]:
    page = client.get(f"/admin/trials/trial/{trial.pk}/change/").content.decode()
    return set(re.findall(rf"/admin/trials/trial/{trial.pk}/workflow/(\w+)/", page))


def bulk_actions(client) -> set[str]:
    page = client.get("/admin/trials/trial/").content.decode()
    return set(re.findall(r'<option value="(\w+)"', page)) - {"", "delete_selected"}


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("edited", [False, True])
@pytest.mark.parametrize("role", ["curator", "reviewer"])
def test_buttons_are_the_steps_the_table_allows(client, request, role, state, edited):
    user = request.getfixturevalue(role)
    client.force_login(user)
    trial = services.trial_create(title="Synthetic workflow trial", conditions=["als"])
    Trial.objects.filter(pk=trial.pk).update(workflow=state, edited_since_review=edited)
    trial.refresh_from_db()
    expected = {step.name for step in services.steps_for(trial, user)}
    assert buttons(client, trial) == expected
    assert "mark_verified" in expected  # every trial can be checked against its sources
    assert ("publish" in expected) == (role == "reviewer" and state != Workflow.PUBLISHED)


@pytest.mark.parametrize("role", ["curator", "reviewer"])
def test_bulk_actions_are_the_steps_the_user_may_take(client, request, role):
    user = request.getfixturevalue(role)
    client.force_login(user)
    services.trial_create(title="Synthetic workflow trial", conditions=["als"])
    expected = {s.name for s in services.WORKFLOW_STEPS.values() if s.allowed_for(user)}
    assert bulk_actions(client) == expected
    if role == "curator":
        assert expected == {"submit", "mark_verified"}
    else:
        assert expected == set(services.WORKFLOW_STEPS)


def test_a_step_the_table_does_not_allow_is_refused_by_the_service(reviewer):
    trial = services.trial_create(title="Synthetic workflow trial", conditions=["als"])
    with pytest.raises(services.TransitionError):
        services.take_step(step="withdraw", trial=trial, user=reviewer)
    with pytest.raises(services.TransitionError):
        services.take_step(step="no_such_step", trial=trial, user=reviewer)
