"""The browse index: one row per (published trial, facet, value), maintained by services.

It turns every facet into the same shape, so filtering is one EXISTS per facet and counting is
a GROUP BY with COUNT(*) (the rows are unique per trial and value: no DISTINCT anywhere).
Hierarchies are expanded when a row is written: a SPMS trial has rows for spms, progressive-ms
and ms, so `condition=ms` is a single lookup and each trial counts once under MS. Combined
phases likewise: a phase 1/2 trial has PHASE1_PHASE2, PHASE1 and PHASE2 rows.

Only published trials are indexed, so drafts cannot reach a public count.
"""

from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.db import models


class FacetValue(models.Model):
    trial = models.ForeignKey("trials.Trial", on_delete=models.CASCADE, related_name="+")
    facet = models.CharField(max_length=20)
    value = models.CharField(max_length=60)

    class Meta:
        ordering = ["trial", "facet", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["trial", "facet", "value"], name="%(app_label)s_%(class)s_unique"
            )
        ]
        indexes = [models.Index(fields=["facet", "value", "trial"], name="trials_facet_lookup")]

    def __str__(self):
        return f"{self.facet}={self.value}"


class BrowseIndexState(models.Model):
    """A single row whose token changes whenever the browse index changes.

    Each web process keeps the index as in-memory bitmaps (trials/facets.py) and rebuilds them
    when the token it last saw is no longer current: one tiny query per request keeps every
    process in step. A random token rather than a counter, so that a rolled-back transaction
    can never make an old token current again.
    """

    token = models.CharField(max_length=32)
    # When the token last changed: the Last-Modified of public lists (browse/conditional.py).
    changed_at = models.DateTimeField(null=True, blank=True)
    # Counts every change of the index. The writer holds this row's lock from its UPDATE to its
    # commit, so generations commit in order: a process that has applied generation g only
    # needs the IndexChange rows after g (an incremental reload, not the whole index).
    generation = models.BigIntegerField(default=0)

    def __str__(self):
        return self.token


class IndexChange(models.Model):
    """The trials whose index rows (or public record) changed, or that were deleted, in one
    generation of the index, and the token it left. A process at generation g with token t
    catches up from these rows only if row g still holds t: that proves its copy is the one
    the database went on from (not one lost to a rolled-back or restored database, and not
    one from before a change too big to list, which drops the older rows)."""

    generation = models.BigIntegerField(unique=True)
    token = models.CharField(max_length=32)
    trial_ids = models.TextField(blank=True)  # comma-separated; no foreign keys to outlive

    def __str__(self):
        return f"generation {self.generation}"


class PublicRecord(models.Model):
    """A published trial's public record (trials/public_record.py) as JSON text, built when the
    trial is reindexed, so exports and API pages stream stored rows instead of rebuilding each
    record from a dozen related tables. `url` holds the path; readers add the site's address
    (public_record.with_base_url). Unpublished trials have none."""

    trial = models.OneToOneField(
        "trials.Trial", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    document = models.TextField()
    # The same record as a line of the CSV export (public_record.csv_line), path as `url`.
    csv_line = models.TextField(blank=True, default="")

    def __str__(self):
        return f"public record of trial {self.trial_id}"


class SearchDocument(models.Model):
    """A public trial's weighted search vector (PostgreSQL full-text search: title and acronym
    weighted A, the search document B), built when the trial is reindexed. It sits in a table
    of its own, not on the trial row: a search for a common word reads the vector of every
    public trial, and these vectors alone take 64 MB at 100,000 synthetic trials, where the
    trial table that held them took 300 MB (its first search fell from 180 to 85 ms).
    GIN-indexed on PostgreSQL (migration 0022); unused on SQLite, which searches
    `Trial.search_text`."""

    trial = models.OneToOneField(
        "trials.Trial", on_delete=models.CASCADE, primary_key=True, related_name="search_document"
    )
    vector = SearchVectorField(null=True)

    def __str__(self):
        return f"search document of trial {self.trial_id}"


def web_search(text: str) -> SearchQuery:
    """What a visitor typed, as a query on `SearchDocument.vector`: PostgreSQL's websearch
    syntax ("quotes", or, -not), in the English configuration the vectors are built with."""
    return SearchQuery(text, search_type="websearch", config="english")
