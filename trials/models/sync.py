"""The registry sync's own records: what it searches for, and what each run did.

A saved search is a ClinicalTrials.gov API v2 query a curator keeps; `sync_ctgov` runs every
enabled one. A sync run is one run of `sync_ctgov` or `sync_pubmed`, with its counts and its
per-study summary; while it runs, its row is also the lock that stops a second run.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from trials.choices import SyncKind, SyncOutcome, in_choices


class SavedSearch(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True, help_text="What the search is meant to find.")
    condition = models.CharField(
        max_length=300, blank=True, help_text="query.cond, e.g. multiple sclerosis"
    )
    intervention = models.CharField(
        max_length=300, blank=True, help_text="query.intr, e.g. mesenchymal stem cells"
    )
    term = models.CharField(max_length=300, blank=True, help_text="query.term (any field)")
    advanced = models.CharField(
        max_length=500,
        blank=True,
        help_text="filter.advanced, in the API's Essie syntax, e.g. AREA[Phase]PHASE3. The "
        "sync adds its own date window to it.",
    )
    enabled = models.BooleanField(default=True)
    synced_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the last run that completed this search without errors started. The "
        "next run asks only for studies updated since the day before; empty: a full run.",
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "saved searches"
        constraints = [
            models.CheckConstraint(
                condition=~Q(condition="", intervention="", term=""),
                name="%(app_label)s_%(class)s_has_query",
                violation_error_message="Give a condition, an intervention or a term: a "
                "search without one would ask for the whole registry.",
            ),
        ]

    def __str__(self):
        return self.name

    def params(self) -> dict[str, str]:
        """The API parameters of this search (without the sync's date window)."""
        pairs = {
            "query.cond": self.condition,
            "query.intr": self.intervention,
            "query.term": self.term,
            "filter.advanced": self.advanced,
        }
        return {key: value for key, value in pairs.items() if value}


class SyncRunQuerySet(models.QuerySet):
    def last_success(self, kind: str = SyncKind.CTGOV):
        return self.filter(kind=kind, outcome=SyncOutcome.OK).order_by("-started_at").first()


class SyncRun(models.Model):
    kind = models.CharField(max_length=10, choices=SyncKind, default=SyncKind.CTGOV)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Touched after every page: a run whose heartbeat stopped long ago died without finishing
    # (a killed container), and the next run may take its lock over.
    heartbeat_at = models.DateTimeField(default=timezone.now)
    query = models.TextField(blank=True, help_text="The searches run, with their windows.")
    pages = models.PositiveIntegerField(default=0)
    seen = models.PositiveIntegerField("studies seen", default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    waiting = models.PositiveIntegerField(
        "waiting for a curator",
        default=0,
        help_text="Studies with registry values waiting beside a curated value.",
    )
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    refreshed_catalogue = models.BooleanField(
        default=False,
        help_text="The refresh of every catalogued NCT trial completed without errors.",
    )
    outcome = models.CharField(max_length=10, choices=SyncOutcome, default=SyncOutcome.RUNNING)
    message = models.TextField(blank=True, help_text="Why the run failed or is partial.")
    summary = models.JSONField(default=list, blank=True, help_text="One line per study.")

    objects = SyncRunQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        get_latest_by = "started_at"
        constraints = [
            # The lock: the database refuses a second running row of a kind, atomically, on
            # PostgreSQL and SQLite alike, and the row shows curators who holds it.
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(outcome="running"),
                name="%(app_label)s_%(class)s_one_running",
            ),
            models.CheckConstraint(
                condition=in_choices("kind", SyncKind), name="%(app_label)s_%(class)s_kind_valid"
            ),
            models.CheckConstraint(
                condition=in_choices("outcome", SyncOutcome),
                name="%(app_label)s_%(class)s_outcome_valid",
            ),
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True) | Q(finished_at__gte=models.F("started_at")),
                name="%(app_label)s_%(class)s_finishes_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} sync #{self.pk} ({self.get_outcome_display()})"
