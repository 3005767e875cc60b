"""Atom feed of any list URL: `/trials/feed/?condition=als&status=RECRUITING` follows the
trials that match that search, with what changed in each, from the published history only
(browse/changes.py)."""

from django.contrib.syndication.views import Feed
from django.http import HttpResponse
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from browse.changes import published_changes
from browse.conditional import catalogue_conditional
from browse.filters import TrialFilter, describe
from browse.results import Results
from trials.models import Trial


class TrialFeed(Feed):
    feed_type = Atom1Feed

    def __call__(self, request, *args, **kwargs):
        self.request = request
        self.filterset = TrialFilter(request.GET, queryset=Trial.objects.published())
        if self.filterset.problems:
            message = "The feed was not made because of these parameters:\n" + "\n".join(
                f"- {problem}" for problem in self.filterset.problems
            )
            return HttpResponse(
                message + "\n", status=400, content_type="text/plain; charset=utf-8"
            )
        query = self.filterset.params.copy()
        query.pop("sort", None)
        self.query = f"?{query.urlencode()}" if query else ""
        self.search = describe(self.filterset.params, self.filterset.vocabulary)
        return catalogue_conditional(self._render)(request, *args, **kwargs)

    def _render(self, request, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        # The syndication framework dates the response by its newest entry; the validators
        # are the catalogue's (browse/conditional.py), so If-Modified-Since checks the same date.
        if response.has_header("Last-Modified"):
            del response.headers["Last-Modified"]
        return response

    def title(self):
        what = "; ".join(self.search) if self.search else "all trials"
        return f"Cell Therapy Trial Tracker: {what}"

    def subtitle(self):
        return (
            "Trials newly published and changes to published trials, from the curated record "
            "(reviewed changes only)."
        )

    def link(self):
        return reverse("trials:trial-list") + self.query

    def feed_url(self):
        return reverse("trials:feed") + self.query

    def items(self):
        return published_changes(Results(self.filterset))

    def item_title(self, entry):
        return entry.title

    def item_description(self, entry):
        return entry.summary

    def item_link(self, entry):
        return reverse("trials:trial-detail", kwargs={"slug": entry.slug})

    def item_guid(self, entry):
        return self.request.build_absolute_uri(self.item_link(entry)) + f"#change-{entry.key}"

    item_guid_is_permalink = False

    def item_pubdate(self, entry):
        return entry.when

    def item_updateddate(self, entry):
        return entry.when
