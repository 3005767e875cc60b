"""The role matrix through the admin's URLs: which role may take each workflow step (on its page
and as a bulk action) and open each admin page."""

import pytest

from tests.helpers import TrialFactory
from trials import history
from trials.models import Trial, Workflow

pytestmark = pytest.mark.django_db

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
