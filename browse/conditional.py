"""Conditional GET for the public data: ETag and Last-Modified, so a repeat request for an
unchanged result answers 304 Not Modified with no body.

Lists (the HTML list, the exports, the API list, the feed, the sitemap) change when the browse
index token changes (every reindex, publish, withdrawal and deletion sets a new one) or when a
published trial's `updated_at` moves (every edit of a trial or its parts bumps it). One query
reads both. A trial's own representation changes with its `updated_at`, and with the token
(a vocabulary term renamed reindexes its trials without editing them).
"""

import hashlib

from django.db.models import Subquery
from django.views.decorators.http import condition

from trials.models import BrowseIndexState, Trial
from trials.public_state import AWAITING, public_lookup

# Part of every validator: bump it when a representation changes shape in a release, so
# clients do not keep a copy of the old one.
FORMAT = "1"


def _catalogue_state(request):
    """(token, when the index last changed, latest update of a published trial), cached on the
    request so that the ETag and Last-Modified functions share one query."""
    if not hasattr(request, "_catalogue_state"):
        # (A trial awaiting review changed the index token when it joined the queue; its
        # unreviewed edit's time is not public.)
        latest = (
            Trial.objects.published()
            .filter(edited_since_review=False)
            .order_by("-updated_at")
            .values("updated_at")
        )
        row = (
            BrowseIndexState.objects.filter(pk=1)
            .annotate(latest=Subquery(latest[:1]))
            .values_list("token", "changed_at", "latest")
            .first()
        )
        request._catalogue_state = row or ("", None, None)
    return request._catalogue_state


def _tag(*parts) -> str:
    return hashlib.sha256("|".join(str(p) for p in (FORMAT, *parts)).encode()).hexdigest()[:32]


def catalogue_etag(request, *args, **kwargs) -> str:
    token, _changed_at, latest = _catalogue_state(request)
    return _tag(token, latest, request.path, request.GET.urlencode())


def catalogue_last_modified(request, *args, **kwargs):
    _token, changed_at, latest = _catalogue_state(request)
    moments = [moment for moment in (changed_at, latest) if moment is not None]
    return max(moments) if moments else None


def _trial_state(request, slug):
    """(token, updated_at) of the published trial with this slug or registry id."""
    key = ("_trial_state", slug)
    if getattr(request, "_trial_state_key", None) != key:
        token = BrowseIndexState.objects.filter(pk=1).values("token")[:1]
        published = Trial.objects.published()
        fields = ("token", "updated_at", AWAITING)
        found = published.filter(slug=slug).annotate(token=Subquery(token)).values(*fields).first()
        if found is not None and not found[AWAITING]:
            row = (found["token"], found["updated_at"])
        else:
            # A registry id, or a trial awaiting review: as the public finds it, with the date
            # of its reviewed state (trials/public_state.py).
            trial = public_lookup(published, slug)
            current = BrowseIndexState.objects.filter(pk=1).values_list("token", flat=True)
            row = None if trial is None else (current.first(), trial.updated_at)
        request._trial_state_key, request._trial_state = key, row
    return request._trial_state


def trial_etag(request, slug, *args, **kwargs) -> str | None:
    row = _trial_state(request, slug)
    return None if row is None else _tag(row[0], row[1], request.path)


def trial_last_modified(request, slug, *args, **kwargs):
    row = _trial_state(request, slug)
    return None if row is None else row[1]


# Decorators for views whose representation is the current catalogue, or one trial.
catalogue_conditional = condition(
    etag_func=catalogue_etag, last_modified_func=catalogue_last_modified
)
trial_conditional = condition(etag_func=trial_etag, last_modified_func=trial_last_modified)
