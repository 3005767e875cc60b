"""Public "report a problem": what gets in, what is kept out, and the rate limit. (The
curators' queue: tests/curation/test_reports.py.)"""

import re

import pytest
from django.db import connection
from django.test import Client

from browse import ratelimit
from browse.forms import PLAIN_TEXT_ERROR
from tests.helpers import NASTY, REPORT_MESSAGE, TrialFactory, body_of, report_on
from trials.models import ProblemReport, ReportStatus, Workflow

pytestmark = pytest.mark.django_db

GOOD = REPORT_MESSAGE


@pytest.fixture
def trial():
    return TrialFactory(title="Synthetic test trial for reports", slug="reported")


def report_url(trial):
    return f"/trials/{trial.slug}/report/"


def post(client, trial, message=GOOD, contact="", **extra):
    data = {"message": message, "contact": contact, "website": extra.pop("website", "")}
    return client.post(report_url(trial), data, **extra)


def test_the_trial_page_has_an_accessible_report_form(client, trial):
    html = client.get(trial.get_absolute_url()).content.decode()
    assert f'action="/trials/{trial.slug}/report/#report"' in html
    assert '<label for="report-message">What is wrong or missing?</label>' in html
    assert 'aria-describedby="report-message_helptext"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    # The honeypot: labelled, hidden by a class (no inline style: the CSP forbids them),
    # hidden from assistive technology and out of the tab order.
    trap = re.search(r'<div class="report__extra" aria-hidden="true">(.*?)</div>', html, re.S)
    assert trap, "the honeypot is wrapped in the hidden, aria-hidden container"
    assert "Leave this empty" in trap.group(1)
    assert 'tabindex="-1"' in trap.group(1) and 'name="website"' in trap.group(1)
    assert "style=" not in html


def test_a_visitor_reports_a_problem_and_is_thanked(client, trial):
    response = post(client, trial, contact="reader@example.org")
    assert response.status_code == 302
    assert response.url == f"/trials/{trial.slug}/#report"

    report = ProblemReport.objects.get()
    assert (report.trial, report.message, report.contact) == (trial, GOOD, "reader@example.org")
    assert report.status == ReportStatus.OPEN and report.handled_by is None

    page = client.get(response.url).content.decode()
    assert "Thank you. Your report has been sent to the curators" in page
    # Shown once (PRG): a reload does not thank again or send again.
    assert "Thank you" not in client.get(response.url).content.decode()
    assert ProblemReport.objects.count() == 1


def test_a_get_of_the_report_url_writes_nothing(client, trial):
    # (It sends the browser back to the form; test_curation checks where.)
    assert client.get(report_url(trial)).status_code == 302
    assert not ProblemReport.objects.exists()


@pytest.mark.parametrize("workflow", [Workflow.DRAFT, Workflow.IN_REVIEW, Workflow.WITHDRAWN])
def test_unpublished_trials_cannot_be_reported(client, workflow):
    hidden = TrialFactory(workflow=workflow)
    assert post(client, hidden).status_code == 404
    assert not ProblemReport.objects.exists()


def test_an_unknown_trial_is_a_404(client):
    assert client.post("/trials/no-such-trial/report/", {"message": GOOD}).status_code == 404


def test_a_message_at_the_limit_is_accepted_and_one_over_is_rejected(client, trial):
    assert post(client, trial, message="x" * 2000).status_code == 302
    response = post(client, trial, message="y" * 2001)
    assert response.status_code == 400
    assert "Please shorten your message to 2000 characters or fewer (it has 2001)." in (
        response.content.decode()
    )
    assert ProblemReport.objects.count() == 1


def test_an_empty_or_too_short_message_is_a_field_error(client, trial):
    assert "Please tell us what is wrong." in post(client, trial, message="  ").content.decode()
    assert "at least 10 characters" in post(client, trial, message="wrong").content.decode()
    assert not ProblemReport.objects.exists()


def test_an_oversized_or_malformed_contact_is_rejected(client, trial):
    long_address = "a" * 190 + "@example.org"  # 202 characters
    response = post(client, trial, contact=long_address)
    assert response.status_code == 400
    assert "200 characters or fewer (it has 202)" in response.content.decode()
    response = post(client, trial, contact="call me on 0123")
    assert response.status_code == 400
    assert "Please enter an e-mail address like name@example.org" in response.content.decode()
    assert not ProblemReport.objects.exists()


def test_errors_are_tied_to_their_field_and_the_input_is_kept(client, trial):
    response = post(client, trial, message="y" * 2001)
    html = response.content.decode()
    assert 'aria-describedby="report-message_helptext report-message_error"' in html
    assert 'aria-invalid="true"' in html
    assert '<p class="field-error" id="report-message_error">' in html
    assert "y" * 2001 in html  # the visitor's text is still there to shorten
    assert 'role="alert"' in html


@pytest.mark.parametrize(
    "message",
    [
        "<script>alert('x')</script> the dose is wrong",
        "The dose is <b>wrong</b> in the second arm",
        "See </p> the closing tag here please",
        "A comment <!-- hidden --> in the report",
        "Click javascript:alert(document.cookie) for details",
        "Click java\tscript:alert(1) for the details",
        "An <img src=x onerror=alert(1)> image",
    ],
)
def test_html_and_script_are_rejected_and_echoed_escaped(client, trial, message):
    response = post(client, trial, message=message)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Please write plain text" in html
    assert PLAIN_TEXT_ERROR.split(",")[0] in html
    # Echoed back in the textarea, escaped: never live markup.
    for tag in ("<script>alert", "<b>wrong", "<img src=x", "<!-- hidden"):
        assert tag not in html
    assert not ProblemReport.objects.exists()


def test_less_than_signs_in_plain_text_are_fine(client, trial):
    message = "Enrollment was < 20 and follow-up <12 months, not 24."
    assert post(client, trial, message=message).status_code == 302
    assert ProblemReport.objects.get().message == message


def test_two_links_are_fine_and_three_are_spam(client, trial):
    two = "Updated at https://clinicaltrials.gov/study/NCT03282760 and www.example.org/paper"
    assert post(client, trial, message=two).status_code == 302
    three = two + " and http://example.com/buy-now"
    response = post(client, trial, message=three)
    assert response.status_code == 400
    assert "Please include at most 2 links" in response.content.decode()
    assert ProblemReport.objects.count() == 1


def test_a_filled_honeypot_looks_like_success_but_writes_nothing(client, trial):
    response = post(client, trial, website="http://spam.example.com")
    assert response.status_code == 302
    assert response.url == f"/trials/{trial.slug}/#report"
    assert "Thank you" in client.get(response.url).content.decode()
    assert not ProblemReport.objects.exists()


def test_the_rate_limit_stops_the_sixth_report_in_an_hour(client, trial, settings):
    assert settings.REPORTS_RATE_LIMIT == 5
    for n in range(5):
        assert post(client, trial, message=f"{GOOD} ({n})").status_code == 302
    response = post(client, trial, message=f"{GOOD} (6)")
    assert response.status_code == 429
    assert "You have sent several reports in the last hour" in response.content.decode()
    assert f"{GOOD} (6)" in response.content.decode()  # kept for later
    # A made-up X-Forwarded-For does not make a new client.
    spoofed = post(client, trial, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert spoofed.status_code == 429
    assert ProblemReport.objects.count() == 5
    # Another address has its own count.
    assert post(client, trial, REMOTE_ADDR="198.51.100.7").status_code == 302
    assert ProblemReport.objects.count() == 6


def test_honeypot_hits_count_towards_the_limit(client, trial):
    for _ in range(5):
        post(client, trial, website="spam")
    assert post(client, trial).status_code == 429
    assert not ProblemReport.objects.exists()


def test_the_limit_lifts_after_the_window(client, trial, monkeypatch):
    start = 1_800_000_000.0
    monkeypatch.setattr(ratelimit.time, "time", lambda: start)
    for _ in range(5):
        post(client, trial)
    assert post(client, trial).status_code == 429
    monkeypatch.setattr(ratelimit.time, "time", lambda: start + 3601)
    assert post(client, trial).status_code == 302
    assert ProblemReport.objects.count() == 6


def test_an_ipv6_client_counts_by_its_64_network(client, trial):
    for n in range(5):
        assert post(client, trial, REMOTE_ADDR=f"2001:db8:1:2::{n + 1}").status_code == 302
    assert post(client, trial, REMOTE_ADDR="2001:db8:1:2:ffff::1").status_code == 429
    assert post(client, trial, REMOTE_ADDR="2001:db8:1:3::1").status_code == 302


def test_migrate_creates_the_rate_limit_table():
    # Whatever starts the app runs `migrate`; the table must exist without another command.
    # (The test runner creates cache tables itself, so drop it and run the migration's step.)
    from importlib import import_module
    from types import SimpleNamespace

    step = import_module("trials.migrations.0010_ratelimit_cache_table").create_cache_tables
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE tracker_ratelimit")
    assert "tracker_ratelimit" not in connection.introspection.table_names()
    step(None, SimpleNamespace(connection=connection))  # the step only reads the alias
    assert "tracker_ratelimit" in connection.introspection.table_names()


def test_the_cache_never_holds_the_address(rf):
    request = rf.post("/", REMOTE_ADDR="192.0.2.44")
    key = ratelimit.report_limit()._key(ratelimit.client_address(request))
    assert "192.0.2.44" not in key


def test_csrf_is_enforced(trial):
    client = Client(enforce_csrf_checks=True)
    assert post(client, trial).status_code == 403
    assert not ProblemReport.objects.exists()

    page = client.get(trial.get_absolute_url()).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = {"message": GOOD, "contact": "", "website": "", "csrfmiddlewaretoken": token}
    assert client.post(report_url(trial), data).status_code == 302
    assert ProblemReport.objects.count() == 1


def test_a_csrf_failure_explains_itself(trial):
    client = Client(enforce_csrf_checks=True)
    response = post(client, trial)
    assert response.status_code == 403
    assert "accepts cookies from this site" in response.content.decode()


def test_reports_are_never_shown_on_public_pages(client, trial):
    report_on(trial, message="A private note from a reader: " + NASTY)
    for url in (trial.get_absolute_url(), "/trials/", "/", "/trials/export.json"):
        response = client.get(url)
        body = body_of(response)
        assert b"private note from a reader" not in body, url


def test_the_report_address_opened_directly_goes_back_to_the_form(client):
    trial = TrialFactory(workflow=Workflow.PUBLISHED)
    response = client.get(trial.get_absolute_url() + "report/")
    assert response.status_code == 302
    assert response.url == trial.get_absolute_url() + "#report"
    draft = TrialFactory(workflow=Workflow.DRAFT)
    assert client.get(draft.get_absolute_url() + "report/").status_code == 404
