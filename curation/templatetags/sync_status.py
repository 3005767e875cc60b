from datetime import timedelta

from django import template
from django.conf import settings
from django.utils import timezone

from trials.models import SyncRun

register = template.Library()


@register.inclusion_tag("admin/trials/_sync_status.html")
def sync_status():
    """When the last successful ClinicalTrials.gov sync ran; stale after SYNC_WARN_AFTER_DAYS."""
    last = SyncRun.objects.last_success()
    limit = timedelta(days=settings.SYNC_WARN_AFTER_DAYS)
    return {
        "last": last,
        "stale": last is None or timezone.now() - last.started_at > limit,
        "days": settings.SYNC_WARN_AFTER_DAYS,
        "running": SyncRun.objects.filter(outcome="running").first(),
    }
