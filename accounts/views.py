"""The page shown to a locked-out login (django-axes calls `lockout`, AXES_LOCKOUT_CALLABLE)."""

from django.conf import settings
from django.shortcuts import render


def lockout(request, original_response=None, credentials=None):
    """Say how long to wait, and nothing else: not the username, not whether it exists, not
    how many tries were made. Same page for every locked username."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "axes_lockout.html",
        {"minutes": minutes},
        status=getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429),  # Too Many Requests
    )
