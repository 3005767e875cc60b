"""The curators' queue of problem reports in the admin: escaped, listed with their trial, closed
by action or in the change form, by staff with the permission only. (The public form:
tests/browse/test_reports.py.)"""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.helpers import NASTY, TrialFactory, report_on
from trials import services
from trials.models import ReportStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def trial():
    return TrialFactory(title="Synthetic test trial for reports", slug="reported")


def test_the_message_is_escaped_in_the_admin(curator_client, trial):
    report = report_on(trial, message=NASTY, contact="<i>@example.org")
    for url in ("/admin/trials/problemreport/", f"/admin/trials/problemreport/{report.pk}/change/"):
        html = curator_client.get(url).content.decode()
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html, url
        assert '<script>alert("x")' not in html and "<b>bold</b>" not in html, url
        assert "<i>@example.org" not in html, url


def test_the_admin_queue_lists_reports_with_their_trial(curator_client, trial):
    report_on(trial)
    html = curator_client.get("/admin/trials/problemreport/?status__exact=open").content.decode()
    assert f'href="/admin/trials/trial/{trial.pk}/change/"' in html
    assert "The actual enrollment is 15" in html
    html = curator_client.get("/admin/trials/problemreport/?status__exact=fixed").content.decode()
    assert "The actual enrollment is 15" not in html


def test_nobody_adds_reports_in_the_admin(superuser_client, curator_client):
    assert superuser_client.get("/admin/trials/problemreport/add/").status_code == 403
    assert curator_client.get("/admin/trials/problemreport/add/").status_code == 403


def test_curator_marks_fixed_and_dismisses_with_the_actions(curator_client, curator, trial):
    fixed, dismissed, untouched = report_on(trial), report_on(trial), report_on(trial)
    response = curator_client.post(
        "/admin/trials/problemreport/",
        {"action": "mark_fixed", "_selected_action": [fixed.pk]},
        follow=True,
    )
    assert "1 report(s) marked fixed." in response.content.decode()
    curator_client.post(
        "/admin/trials/problemreport/", {"action": "dismiss", "_selected_action": [dismissed.pk]}
    )
    for report in (fixed, dismissed, untouched):
        report.refresh_from_db()
    assert (fixed.status, fixed.handled_by) == (ReportStatus.FIXED, curator)
    assert (dismissed.status, dismissed.handled_by) == (ReportStatus.DISMISSED, curator)
    assert fixed.handled_at is not None and dismissed.handled_at is not None
    assert (untouched.status, untouched.handled_by, untouched.handled_at) == ("open", None, None)


def test_marking_again_keeps_who_and_when(curator_client, reviewer, trial):
    report = services.problem_report_mark_fixed(report=report_on(trial), user=reviewer)
    curator_client.post(
        "/admin/trials/problemreport/", {"action": "mark_fixed", "_selected_action": [report.pk]}
    )
    before = report.handled_at
    report.refresh_from_db()
    assert (report.handled_by, report.handled_at) == (reviewer, before)


def test_curator_closes_a_report_with_a_note_in_the_change_form(curator_client, curator, trial):
    report = report_on(trial, message=NASTY)
    url = f"/admin/trials/problemreport/{report.pk}/change/"
    data = {"status": "dismissed", "curator_note": "Checked: the record is right.", "message": "x"}
    assert curator_client.post(url, data).status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.DISMISSED
    assert report.curator_note == "Checked: the record is right."
    assert report.handled_by == curator and report.handled_at is not None
    assert report.message == NASTY  # read-only: a posted value is ignored

    reopen = {"status": "open", "curator_note": report.curator_note}
    assert curator_client.post(url, reopen).status_code == 302
    report.refresh_from_db()
    assert (report.status, report.handled_by, report.handled_at) == ("open", None, None)


def test_staff_without_the_permission_cannot_handle_reports(client, django_user_model, trial):
    report = report_on(trial)
    clerk = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    with pytest.raises(PermissionDenied):
        services.problem_report_mark_fixed(report=report, user=clerk)
    client.force_login(clerk)
    assert client.get("/admin/trials/problemreport/").status_code == 403


def test_the_queue_runs_a_fixed_number_of_queries(curator_client, curator):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert curator_client.get("/admin/trials/problemreport/").status_code == 200
        return len(ctx.captured_queries)

    trial = TrialFactory()
    report_on(trial)
    one = count()
    for _ in range(3):
        other = TrialFactory()
        services.problem_report_mark_fixed(report=report_on(other), user=curator)
    assert count() == one
