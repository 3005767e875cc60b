"""The browse index: one row per (published trial, facet, value), maintained by services.

It turns every facet into the same shape, so filtering is one EXISTS per facet and counting is
a GROUP BY with COUNT(*) (the rows are unique per trial and value: no DISTINCT anywhere).
Hierarchies are expanded when a row is written: a SPMS trial has rows for spms, progressive-ms
and ms, so `condition=ms` is a single lookup and each trial counts once under MS. Combined
phases likewise: a phase 1/2 trial has PHASE1_PHASE2, PHASE1 and PHASE2 rows.

Only published trials are indexed, so drafts cannot reach a public count.
"""

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

    def __str__(self):
        return self.token
