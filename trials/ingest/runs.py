"""A sync run's bookkeeping: the lock, the counts, and the outcome.

The lock is the run's own row. The database allows one `running` row per kind (a partial
unique index, trials/models/sync.py), so of two runs started together exactly one gets it, on
PostgreSQL and SQLite alike, with no file on any one machine's disk. A run that died without
finishing (a killed container) stops touching its heartbeat; once that is older than
SYNC_STALE_AFTER the next run marks it failed and takes over.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from trials.models import SyncOutcome, SyncRun

COUNTS = ("pages", "seen", "created", "updated", "waiting", "unchanged", "skipped", "errors")


class SyncBusy(Exception):
    """Another run of the same kind holds the lock."""


@dataclass
class Tally:
    pages: int = 0
    seen: int = 0
    created: int = 0
    updated: int = 0
    waiting: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: int = 0
    lines: list[str] = field(default_factory=list)

    def figures(self) -> str:
        return ", ".join(f"{getattr(self, name)} {name}" for name in COUNTS)


def sync_user():
    """The account history names as the author of the sync's changes. It cannot sign in."""
    user, created = get_user_model().objects.get_or_create(
        username=settings.SYNC_USERNAME,
        defaults={"is_active": False, "first_name": "Registry sync"},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def run_start(kind: str, *, query: str = "") -> SyncRun:
    """Take the lock by creating the run, or raise SyncBusy saying who holds it."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.SYNC_STALE_AFTER)
    SyncRun.objects.filter(kind=kind, outcome=SyncOutcome.RUNNING, heartbeat_at__lt=stale).update(
        outcome=SyncOutcome.FAILED,
        finished_at=now,
        message="Abandoned: it stopped without finishing (no heartbeat since "
        f"{stale:%Y-%m-%d %H:%M} UTC or earlier); a later run took over.",
    )
    try:
        with transaction.atomic():
            return SyncRun.objects.create(kind=kind, query=query, started_at=now, heartbeat_at=now)
    except IntegrityError:
        holder = SyncRun.objects.filter(kind=kind, outcome=SyncOutcome.RUNNING).first()
        if holder is None:  # it finished between our insert and this read
            raise SyncBusy(f"Another {kind} sync was finishing; try again.") from None
        raise SyncBusy(
            f"Another {holder.get_kind_display()} sync is running (run #{holder.pk}, started "
            f"{holder.started_at:%Y-%m-%d %H:%M} UTC, last heartbeat "
            f"{holder.heartbeat_at:%H:%M:%S} UTC); this one did not start."
        ) from None


def run_save(run: SyncRun | None, tally: Tally, *, query: str | None = None) -> None:
    """Write the counts so far and touch the heartbeat (after every page)."""
    if run is None:  # a dry run records nothing
        return
    for name in COUNTS:
        setattr(run, name, getattr(tally, name))
    run.summary = tally.lines
    run.heartbeat_at = timezone.now()
    fields = [*COUNTS, "summary", "heartbeat_at"]
    if query is not None:
        run.query = query
        fields.append("query")
    run.save(update_fields=fields)


def run_finish(run: SyncRun | None, tally: Tally, *, outcome: str, message: str = "") -> None:
    if run is None:
        return
    run_save(run, tally)
    run.outcome, run.message, run.finished_at = outcome, message, timezone.now()
    run.save(update_fields=["outcome", "message", "finished_at", "refreshed_catalogue"])


def outcome_of(tally: Tally, *, aborted: bool) -> str:
    """ok: no error at all. failed: nothing could be fetched. partial: the rest."""
    if not tally.errors and not aborted:
        return SyncOutcome.OK
    if aborted and tally.pages == 0:
        return SyncOutcome.FAILED
    return SyncOutcome.PARTIAL
