"""sitemap.xml for search engines: every published trial and every browse page.

Published trials only (the same `published()` as every public page); a trial's lastmod is its
`updated_at`.
"""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from trials.models import CellType, Condition, Route, Trial


class TrialSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.8

    def items(self):
        return Trial.objects.published().only("slug", "updated_at").order_by("pk")

    def lastmod(self, trial):
        return trial.updated_at


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
