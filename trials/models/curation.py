"""What curators and reviewers say to each other and what the public tells them.

The full before/after history of a trial lives in django-reversion (docs/adr/0001); these two
tables are the human side of it: the review log that a curator reads after a send-back, and the
public's problem reports that land in the curators' queue.
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from trials.choices import ReportStatus, Workflow, WorkflowAction, in_choices


class WorkflowEvent(models.Model):
    """One step of the review cycle: who moved the trial, from where to where, and why."""

    trial = models.ForeignKey("trials.Trial", on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=15, choices=WorkflowAction)
    from_state = models.CharField(max_length=10, choices=Workflow)
    to_state = models.CharField(max_length=10, choices=Workflow)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=in_choices("action", WorkflowAction),
                name="%(app_label)s_%(class)s_action_valid",
            ),
            models.CheckConstraint(
                condition=in_choices("from_state", Workflow) & in_choices("to_state", Workflow),
                name="%(app_label)s_%(class)s_states_valid",
            ),
            # A reviewer who sends a trial back must say what to fix.
            models.CheckConstraint(
                condition=~models.Q(action=WorkflowAction.SEND_BACK) | ~models.Q(comment=""),
                name="%(app_label)s_%(class)s_send_back_has_comment",
            ),
        ]

    def __str__(self):
        return f"{self.get_action_display()} by {self.user or 'system'}"


REPORT_MESSAGE_MAX = 2000
REPORT_CONTACT_MAX = 200


class ProblemReport(models.Model):
    """A member of the public's note that something on a trial page is wrong."""

    trial = models.ForeignKey("trials.Trial", on_delete=models.CASCADE, related_name="reports")
    message = models.TextField("what is wrong", max_length=REPORT_MESSAGE_MAX)
    contact = models.CharField(
        max_length=REPORT_CONTACT_MAX,
        blank=True,
        help_text="Optional e-mail, only for our questions.",
    )
    status = models.CharField(
        max_length=10, choices=ReportStatus, default=ReportStatus.OPEN, db_index=True
    )
    curator_note = models.TextField(blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=in_choices("status", ReportStatus),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("message"), REPORT_MESSAGE_MAX),
                name="%(app_label)s_%(class)s_message_length",
            ),
        ]

    def __str__(self):
        return f"Report on {self.trial} ({self.get_status_display().lower()})"
