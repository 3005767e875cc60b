"""List filters of the trial admin."""

from django.contrib import admin
from django.db.models import Exists, OuterRef, Q

from trials.models import ProblemReport, ReportStatus, Workflow


class ReviewQueueFilter(admin.SimpleListFilter):
    """The reviewers' and curators' queue: what is waiting for someone."""

    title = "review queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [
            ("needs_review", "Needs review (submitted, or edited since publication)"),
            ("submitted", "Submitted, waiting for a reviewer"),
            ("edited", "Published, edited since review"),
            ("reports", "Has open problem reports"),
        ]

    def queryset(self, request, queryset):
        open_reports = Exists(
            ProblemReport.objects.filter(trial=OuterRef("pk"), status=ReportStatus.OPEN)
        )
        edited = Q(workflow=Workflow.PUBLISHED, edited_since_review=True)
        match self.value():
            case "needs_review":
                return queryset.filter(Q(workflow=Workflow.IN_REVIEW) | edited)
            case "submitted":
                return queryset.filter(workflow=Workflow.IN_REVIEW)
            case "edited":
                return queryset.filter(edited)
            case "reports":
                return queryset.filter(open_reports)
        return queryset
