"""A trial's public page, and the "report a problem" form posted from it."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.generic import DetailView

from browse.citations import record_bibtex, record_ris
from browse.forms import ProblemReportForm
from browse.jsonld import script_json, trial_jsonld
from browse.ratelimit import client_address, report_limit
from trials import services
from trials.models import Trial
from trials.public_state import public_lookup

RATE_LIMITED = (
    "You have sent several reports in the last hour, which is our limit. Thank you! Please "
    "try again later."
)
THANKS = "Thank you. Your report has been sent to the curators, who will check this record."


class TrialDetailView(DetailView):
    template_name = "trials/trial_detail.html"
    context_object_name = "trial"

    def get_queryset(self):
        return Trial.objects.published().for_detail()

    def get_object(self, queryset=None):
        """The trial as last reviewed (trials/public_state.py), found by its slug or by any of
        its registry ids (a stable alias: /trials/NCT03282760/)."""
        trial = public_lookup(self.get_queryset(), self.kwargs["slug"])
        if trial is None:
            raise Http404("No published trial here.")
        return trial

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        if self.object.slug != kwargs["slug"]:
            return redirect(self.object)
        return self.render_to_response(self.get_context_data(object=self.object))

    def get_context_data(self, **kwargs):
        # The "report a problem" form at the foot of the page (posted to trials:report).
        kwargs.setdefault("report_form", ProblemReportForm())
        context = super().get_context_data(**kwargs)
        url = self.request.build_absolute_uri(self.object.get_absolute_url())
        context.update(canonical_url=url, jsonld=script_json(trial_jsonld(self.object, url)))
        return context


def _citation(request, slug, build, content_type, extension):
    """The trial's own record as a citation file, with its URL and today's access date."""
    trial = public_lookup(Trial.objects.published().prefetch_related("registry_ids"), slug)
    if trial is None or trial.slug != slug:
        raise Http404("No published trial here.")
    url = request.build_absolute_uri(trial.get_absolute_url())
    response = HttpResponse(
        build(trial, url, timezone.localdate()), content_type=f"{content_type}; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{trial.slug}.{extension}"'
    return response


def cite_ris(request, slug):
    return _citation(request, slug, record_ris, "application/x-research-info-systems", "ris")


def cite_bibtex(request, slug):
    return _citation(request, slug, record_bibtex, "application/x-bibtex", "bib")


class ReportProblemView(TrialDetailView):
    """Posted from the trial page (a GET goes back there). Errors re-render the trial page
    with the form and the visitor's text (400, or 429 at the rate limit); success redirects
    back to the page with a thank-you (PRG)."""

    http_method_names = ["get", "post"]

    def get(self, request, *args, **kwargs):
        # The address stays in the browser after a refused report; opening or sharing it
        # should land on the form, not on a blank 405.
        return redirect(self.get_object().get_absolute_url() + "#report")

    def post(self, request, *args, **kwargs):
        # Published trials only: the queryset is the detail page's, so a draft is a 404.
        self.object = self.get_object()
        form = ProblemReportForm(request.POST)
        limit, client = report_limit(), client_address(request)
        if limit.exceeded(client):
            form.full_clean()
            form.add_error(None, RATE_LIMITED)
            return self.page_with(form, status=429)
        if form.is_bot:
            # Counted, so a bot cannot hammer the form, and answered like a person, so it
            # learns nothing; nothing is written.
            limit.hit(client)
            return self.thanks()
        if not form.is_valid():
            return self.page_with(form, status=400)
        limit.hit(client)
        services.problem_report_create(
            trial=self.object,
            message=form.cleaned_data["message"],
            contact=form.cleaned_data["contact"],
        )
        return self.thanks()

    def page_with(self, form, *, status):
        context = self.get_context_data(object=self.object, report_form=form)
        return self.render_to_response(context, status=status)

    def thanks(self):
        messages.success(self.request, THANKS, extra_tags="report")
        return redirect(self.object.get_absolute_url() + "#report")
