"""Workflow steps in the admin: the step pages and their comments, marking verified, and the
review queue of published trials edited since their review."""

import pytest

from tests.helpers import TrialFactory, change_url, form_data_from, revisions
from trials.models import Trial, Workflow

pytestmark = pytest.mark.django_db


def test_send_back_without_a_comment_is_refused(reviewer_client):
    trial = TrialFactory(workflow=Workflow.IN_REVIEW)
    page = reviewer_client.post(
        f"/admin/trials/trial/{trial.pk}/workflow/send_back/", {"comment": " "}
    )
    assert page.status_code == 200
    assert page.context["form"].errors["comment"]
    trial.refresh_from_db()
    assert trial.workflow == Workflow.IN_REVIEW


def test_mark_verified_sets_last_verified_and_logs_it(curator_client):
    trial = TrialFactory(workflow=Workflow.PUBLISHED)
    assert trial.last_verified is None
    curator_client.post(f"/admin/trials/trial/{trial.pk}/workflow/mark_verified/", {})
    trial.refresh_from_db()
    assert trial.last_verified is not None
    assert revisions(trial)[-1] == ("cora-curator", "Marked verified")


# --- editing a published trial ---------------------------------------------------------------


def test_edits_to_a_published_trial_wait_in_the_review_queue_and_go_public_when_approved(
    client, curator_client, reviewer_client
):
    trial = TrialFactory(workflow=Workflow.PUBLISHED, title="Synthetic live trial")
    Trial.objects.filter(pk=trial.pk).update(edited_since_review=False)
    data = form_data_from(curator_client.get(change_url(trial)))
    data |= {"title": "Synthetic live trial, corrected", "change_reason": "Title per registry"}
    assert curator_client.post(change_url(trial), data).status_code == 302
    trial.refresh_from_db()
    assert trial.workflow == Workflow.PUBLISHED and trial.edited_since_review
    # The public keeps seeing the reviewed title until a reviewer approves (docs/curation.md).
    assert "corrected" not in client.get(trial.get_absolute_url()).text
    assert "Synthetic live trial" in client.get(trial.get_absolute_url()).text

    queue = reviewer_client.get("/admin/trials/trial/?queue=needs_review")
    assert [t.pk for t in queue.context["cl"].result_list] == [trial.pk]
    reviewer_client.post(
        f"/admin/trials/trial/{trial.pk}/workflow/approve_edits/", {"comment": "Checked"}
    )
    trial.refresh_from_db()
    assert not trial.edited_since_review
    assert "corrected" in client.get(trial.get_absolute_url()).text
    queue = reviewer_client.get("/admin/trials/trial/?queue=needs_review")
    assert list(queue.context["cl"].result_list) == []
