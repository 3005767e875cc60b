"""Evidence across trials (issue 13): a cell product's trials on a timeline, and a
condition's safety and outcomes by cell type × route with its evidence map and CSV.
Published trials only; a fixed number of queries whatever the number of trials."""

import csv
import datetime

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.generic import TemplateView

from browse import evidence, timeline
from browse.filters import Vocabulary
from trials.models import CellProduct, Condition, FacetValue, Phase, Status, Trial
from trials.public_record import neutralise
from trials.public_state import public_trials


def _trial_label(trial) -> str:
    ids = [r.identifier for r in trial.registry_ids.all()]
    return trial.acronym or (ids[0] if ids else trial.title[:40])


class ProductDetailView(TemplateView):
    template_name = "trials/product_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        product = get_object_or_404(
            CellProduct.objects.select_related("cell_type"), slug=kwargs["slug"]
        )
        # Its trials by the browse index and as last reviewed (trials/public_state.py), so an
        # edit awaiting review neither adds a trial here nor shows through.
        indexed = FacetValue.objects.filter(facet="product", value=product.slug)
        trials = sorted(
            public_trials(
                Trial.objects.published().filter(pk__in=indexed.values("trial_id")).for_detail()
            ),
            key=lambda t: (t.start_date is None, t.start_date or datetime.date.min, t.pk),
        )
        today = datetime.date.today()
        phases, statuses = dict(Phase.choices), dict(Status.choices)
        rows = []
        for trial in trials:
            phase = phases.get(trial.phase, "Phase not stated")
            status = statuses.get(trial.status, "status not stated")
            rows.append(
                {
                    "label": _trial_label(trial),
                    "url": trial.get_absolute_url(),
                    "start": trial.start_date,
                    "end": trial.completion_date or trial.primary_completion_date,
                    "phase": trial.phase,
                    "caption": f"{phase} · {status}",
                    "description": f"{trial}: {phase}, {status}, from {trial.start_display}"
                    f" to {trial.completion_display or 'no completion date'}",
                }
            )
        treated = [t.actual_enrollment for t in trials if t.actual_enrollment is not None]
        publications = {}
        for trial in trials:
            for link in trial.publication_links:
                publications.setdefault(link.publication.pk, link)
        context.update(
            product=product,
            trials=trials,
            timeline=timeline.product_timeline(
                f"{product.name}: trials from start to completion", rows, today
            ),
            treated_total=sum(treated),
            treated_reporting=len(treated),
            publications=sorted(
                publications.values(),
                key=lambda link: (-(link.publication.year or 0), link.publication.title),
            ),
            list_url=reverse("trials:trial-list") + f"?product={product.slug}",
        )
        return context


class ConditionEvidenceView(TemplateView):
    template_name = "trials/condition_evidence.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        condition = get_object_or_404(Condition.objects.all(), slug=kwargs["slug"])
        vocabulary = Vocabulary()
        list_url = reverse("trials:trial-list")
        rows, trials = evidence.evidence_rows(condition.slug, vocabulary, list_url)
        key = self.request.GET.get("sort", "cells")
        key = key if key in evidence.SORTS else "cells"
        descending = self.request.GET.get("order", "desc" if key != "cells" else "asc") == "desc"
        points, families, undated = evidence.map_points(set(trials), vocabulary)
        context.update(
            condition=condition,
            rows=evidence.sort_rows(rows, key, descending),
            sort_key=key,
            descending=descending,
            sorts=[
                {
                    "key": name,
                    "label": label,
                    "url": f"?sort={name}&order="
                    + ("asc" if name == key and descending else "desc"),
                    "current": name == key,
                }
                for name, label in evidence.SORTS.items()
            ],
            trial_count=len(trials),
            csv_url=reverse("trials:condition-evidence-csv", kwargs={"slug": condition.slug}),
            condition_url=condition.get_absolute_url(),
            list_url=f"{list_url}?condition={condition.slug}",
            evidence_map=timeline.evidence_map(
                f"{condition.name}: trials by start year and phase", points, families
            ),
            points=points,
            undated=undated,
        )
        return context


def condition_evidence_csv(request, slug):
    condition = get_object_or_404(Condition.objects.all(), slug=slug)
    rows, _trials = evidence.evidence_rows(
        condition.slug, Vocabulary(), reverse("trials:trial-list")
    )
    rows = evidence.sort_rows(rows, "cells", False)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{condition.slug}-evidence.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(evidence.CSV_HEADER)
    base_url = request.build_absolute_uri("/").rstrip("/")
    for row in evidence.csv_rows(rows, base_url):
        writer.writerow([neutralise(value) for value in row])
    return response
