"""Load the demo catalogue (trials/data/demo_*.json) through the services.

The records are real trials transcribed from the two reference files (copies with their
provenance in trials/data/reference/), each citing its sources; facts the files leave
unconfirmed are left empty here. Loading is idempotent: a trial whose slug already exists is left
untouched, and publications are matched by DOI, PMID or title. docs/catalogue.md says how the
catalogue was built and how to extend it.
"""

import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from trials import services
from trials.models import CellProduct, CellType, Trial
from trials.models.eligibility import ELIGIBILITY_FIELDS

DATA_DIR = Path(__file__).resolve().parent / "data"
DEMO_FILE = DATA_DIR / "demo_trials.json"
# The first 13 records (reference-trials.md), then reference-trials-more.md: the commercial
# clinics and brokers, MS, ALS. Publication keys are shared across the files. Clinics load
# before the trials so that the home page's "recently updated" opens on trials, not on a row
# of clinic offerings.
# Cell products and eligibility (issue 13) are added to the trials above by slug, so a
# database loaded before they existed gets them on the next `load_demo` too.
PRODUCTS_FILE = DATA_DIR / "demo_products.json"
ELIGIBILITY_FILE = DATA_DIR / "demo_eligibility.json"
DEMO_FILES = [
    DEMO_FILE,
    DATA_DIR / "demo_clinics.json",
    DATA_DIR / "demo_trials_ms.json",
    DATA_DIR / "demo_trials_als.json",
]

TRIAL_FIELDS = {
    "acronym",
    "listing_type",
    "pay_to_participate",
    "summary",
    "participants",
    "phase",
    "status",
    "status_checked_precision",
    "status_source",
    "allocation",
    "masking",
    "control",
    "design_notes",
    "target_enrollment",
    "actual_enrollment",
    "follow_up_months",
    "follow_up_detail",
    "start_date_precision",
    "primary_completion_date_precision",
    "completion_date_precision",
    "has_results",
    "results_summary",
    "serious_adverse_events",
    "treatment_related_saes",
    "deaths",
    "evidence_notes",
}
DATE_FIELDS = {
    "start_date",
    "primary_completion_date",
    "completion_date",
    "last_verified",
    "status_checked",
}


@dataclass
class DemoReport:
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    # Present already, given their product links or eligibility now (issue 13).
    updated: list[str] = field(default_factory=list)


def _date(value):
    return datetime.date.fromisoformat(value) if value else None


def _publication(record: dict):
    data = dict(record)
    data.pop("key")
    data["authors"] = "\n".join(data.pop("authors", []))
    return services.publication_get_or_create(**data)


DEMO_REASON = "load_demo: demo record from the reference files (sources cited on the record)"


def read_demo(paths=DEMO_FILES) -> dict:
    """The demo files as one {"publications": [...], "trials": [...]}."""
    merged: dict[str, list] = {"publications": [], "trials": []}
    for path in paths:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        merged["publications"] += data["publications"]
        merged["trials"] += data["trials"]
    return merged


def _products() -> dict[str, CellProduct]:
    """Each demo product, created once by slug; {trial slug: product}."""
    by_trial = {}
    for record in json.loads(PRODUCTS_FILE.read_text(encoding="utf-8"))["products"]:
        product = CellProduct.objects.filter(slug=record["slug"]).first()
        if product is None:
            cell_type = record["cell_type"]  # a slug of the shipped vocabulary
            product = services.product_create(
                product=CellProduct(
                    slug=record["slug"],
                    name=record["name"],
                    aliases="\n".join(record["aliases"]),
                    developer=record["developer"],
                    cell_type=CellType.objects.get(slug=cell_type),
                    origin=record["origin"],
                    tissue_source=record["tissue_source"],
                    description=record["description"],
                    sources="\n".join(record["sources"]),
                )
            )
        by_trial |= dict.fromkeys(record["trials"], product)
    return by_trial


def _eligibility() -> dict[str, dict]:
    records = json.loads(ELIGIBILITY_FILE.read_text(encoding="utf-8"))["trials"]
    return {record["slug"]: record for record in records}


def _add_products_and_eligibility(trial: Trial, product, eligibility: dict | None) -> bool:
    """Link the trial's arms with cells to its product and fill its eligibility, where they
    are still empty. Returns whether anything was written (so a second load writes nothing)."""
    changed = False
    if product is not None:
        for arm in trial.interventions.filter(cell_type__isnull=False, product__isnull=True):
            services.intervention_set_product(intervention=arm, product=product, reason=DEMO_REASON)
            changed = True
    if eligibility and not trial.eligibility_stated:
        values = {
            name: (Decimal(value) if name.startswith("edss") else value)
            for name, value in eligibility["eligibility"].items()
            if name in ELIGIBILITY_FIELDS
        }
        services.trial_update(trial=trial, reason=DEMO_REASON, **values)
        if not trial.sources.filter(url=eligibility["source"]).exists():
            services.source_add(
                trial=trial,
                kind="registry",
                title=f"Eligibility ({eligibility['reference_row']} of the reference files)",
                url=eligibility["source"],
                supports=f"Eligibility: {eligibility['stated']}"[:500],
            )
        changed = True
    return changed


@transaction.atomic
def load_demo(paths=DEMO_FILES) -> DemoReport:
    data = read_demo([paths] if isinstance(paths, Path | str) else paths)
    report = DemoReport()
    products = _products()
    eligibility = _eligibility()
    publications = {record["key"]: record for record in data["publications"]}
    existing = set(Trial.objects.values_list("slug", flat=True))

    for record in data["trials"]:
        if record["slug"] in existing:
            trial = Trial.objects.get(slug=record["slug"])
            with services.change_record(reason=DEMO_REASON):
                added = _add_products_and_eligibility(
                    trial, products.get(trial.slug), eligibility.get(trial.slug)
                )
            (report.updated if added else report.unchanged).append(record["slug"])
            continue
        # One history entry per demo trial, with its parts, saying where it came from.
        with services.change_record(reason=DEMO_REASON):
            sponsor = (
                services.organisation_get_or_create(**record["sponsor"])
                if record.get("sponsor")
                else None
            )
            collaborators = [
                services.organisation_get_or_create(**org)
                for org in record.get("collaborators", [])
            ]
            trial = services.trial_create(
                slug=record["slug"],
                title=record["title"],
                conditions=record["conditions"],
                sponsor=sponsor,
                collaborators=collaborators,
                **{key: record[key] for key in TRIAL_FIELDS if key in record},
                **{key: _date(record.get(key)) for key in DATE_FIELDS},
            )
            for registry, identifier in record.get("registry_ids", []):
                services.registry_id_add(trial=trial, registry=registry, identifier=identifier)
            for arm in record.get("interventions", []):
                services.intervention_add(trial=trial, **arm)
            for outcome in record.get("outcomes", []):
                services.outcome_add(trial=trial, **outcome)
            for site in record.get("sites", []):
                services.site_add(trial=trial, **site)
            for source in record["sources"]:
                services.source_add(
                    trial=trial, **{**source, "accessed_on": _date(source.get("accessed_on"))}
                )
            for link in record.get("publications", []):
                services.publication_link(
                    trial=trial,
                    publication=_publication(publications[link["key"]]),
                    role=link["role"],
                )
            _add_products_and_eligibility(
                trial, products.get(trial.slug), eligibility.get(trial.slug)
            )
            # Published by the loader (user None = the system), after its parts are in, so that
            # the review log says so and the trial is not flagged as edited since review.
            services.trial_publish(trial=trial, user=None, comment=DEMO_REASON)
        report.created.append(record["slug"])
    # Publications not linked to any trial (e.g. a review) are part of the catalogue too.
    for record in data["publications"]:
        _publication(record)
    return report
