"""Workflow transitions are enforced on the server, whatever calls them."""

import pytest
from django.core.exceptions import PermissionDenied

from tests.helpers import TrialFactory
from trials import services
from trials.models import Trial, Workflow

pytestmark = pytest.mark.django_db


def test_curator_may_submit_but_not_publish(curator):
    trial = TrialFactory(workflow=Workflow.DRAFT)
    services.trial_submit(trial=trial, user=curator)
    assert Trial.objects.get(pk=trial.pk).workflow == Workflow.IN_REVIEW
    with pytest.raises(PermissionDenied):
        services.trial_publish(trial=trial, user=curator)
    with pytest.raises(PermissionDenied):
        services.trial_withdraw(trial=trial, user=curator)
    assert Trial.objects.get(pk=trial.pk).workflow == Workflow.IN_REVIEW


def test_reviewer_publishes_sends_back_and_withdraws(reviewer):
    trial = TrialFactory(workflow=Workflow.IN_REVIEW)
    with pytest.raises(services.TransitionError, match="Say what needs fixing"):
        services.trial_send_back(trial=trial, user=reviewer, comment="  ")
    assert Trial.objects.get(pk=trial.pk).workflow == Workflow.IN_REVIEW
    services.trial_send_back(trial=trial, user=reviewer, comment="Dose unit missing")
    assert Trial.objects.get(pk=trial.pk).workflow == Workflow.DRAFT
    assert trial.events.get().comment == "Dose unit missing"
    published = services.trial_publish(trial=trial, user=reviewer)
    assert published.workflow == Workflow.PUBLISHED
    assert published.reviewed_by == reviewer
    assert services.trial_withdraw(trial=trial, user=reviewer).workflow == Workflow.WITHDRAWN


def test_impossible_transitions_are_refused_with_a_reason(reviewer):
    trial = TrialFactory(workflow=Workflow.DRAFT, title="Synthetic draft")
    with pytest.raises(services.TransitionError) as error:
        services.trial_withdraw(trial=trial, user=reviewer)
    assert error.value.messages == ["“Synthetic draft” is draft, so it cannot be withdrawn."]


def test_a_user_without_change_permission_cannot_transition(django_user_model):
    nobody = django_user_model.objects.create_user(username="nobody", is_staff=True)
    trial = TrialFactory(workflow=Workflow.DRAFT)
    with pytest.raises(PermissionDenied):
        services.trial_submit(trial=trial, user=nobody)


def test_a_failed_create_writes_nothing():
    # The trial row is written before its conditions; an unknown condition must roll it back.
    with pytest.raises(Exception, match="Unknown condition"):
        services.trial_create(title="Synthetic rollback", conditions=["not-a-condition"])
    assert not Trial.objects.filter(title="Synthetic rollback").exists()
