"""Problem reports from the public, and the curators' handling of them."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from trials.choices import ReportStatus, Workflow
from trials.models import ProblemReport, Trial

# Public problem reports: the public form and the admin's queue call these.

REPORT_PERMISSION = "trials.change_problemreport"


@transaction.atomic
def problem_report_create(*, trial: Trial, message: str, contact: str = "") -> ProblemReport:
    """Record a member of the public's report on a published trial. Spam checks (honeypot,
    rate limit, markup, links) belong to the public form; this keeps the database's rules."""
    if trial.workflow != Workflow.PUBLISHED:
        raise ValidationError("Problems can only be reported on published trials.")
    report = ProblemReport(trial=trial, message=message, contact=contact)
    report.full_clean()
    report.save()
    return report


@transaction.atomic
def problem_report_handle(
    *, report: ProblemReport, status: str, user, curator_note: str | None = None
) -> ProblemReport:
    """Close a report as fixed or dismissed, or reopen it, recording who did it and when.
    Setting the status a report already has keeps its original who and when."""
    if not user.has_perm(REPORT_PERMISSION):
        raise PermissionDenied("You cannot handle problem reports.")
    report = ProblemReport.objects.select_for_update().get(pk=report.pk)
    if status != report.status:
        report.status = status
        if status == ReportStatus.OPEN:
            report.handled_by, report.handled_at = None, None
        else:
            report.handled_by, report.handled_at = user, timezone.now()
    if curator_note is not None:
        report.curator_note = curator_note
    report.full_clean()
    report.save()
    return report


def problem_report_mark_fixed(*, report: ProblemReport, user) -> ProblemReport:
    return problem_report_handle(report=report, status=ReportStatus.FIXED, user=user)


def problem_report_dismiss(*, report: ProblemReport, user) -> ProblemReport:
    return problem_report_handle(report=report, status=ReportStatus.DISMISSED, user=user)
