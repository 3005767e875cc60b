"""sitemap.xml for search engines: every published trial and every browse page.

Published trials only (the same `published()` as every public page); a trial's lastmod is its
`updated_at` as last reviewed: an edit awaiting review is not public (trials/public_state.py).
"""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from trials.models import CellType, Condition, Route, Trial
from trials.public_state import AWAITING, reviewed_rows


class TrialSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.8

    def items(self):
        found = (
            Trial.objects.published().order_by("pk").values("pk", "slug", "updated_at", AWAITING)
        )
        return reviewed_rows(found, ["slug", "updated_at"])

    def location(self, row):
        return reverse("trials:trial-detail", kwargs={"slug": row["slug"]})

    def lastmod(self, row):
        return row["updated_at"]


class BrowseSitemap(Sitemap):
    """The home page, the list, and the page of each condition, cell type and route."""

    changefreq = "weekly"
    priority = 0.6

    def items(self):
        pages = [reverse("trials:home"), reverse("trials:trial-list")]
        for model in (Condition, CellType, Route):
            pages += [term.get_absolute_url() for term in model.objects.only("slug")]
        return pages

    def location(self, item):
        return item


SITEMAPS = {"trials": TrialSitemap, "browse": BrowseSitemap}
