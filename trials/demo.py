"""Load the demo catalogue (trials/data/demo_trials.json) through the services.

The records are real trials transcribed from shared/data/reference-trials.md, each citing its
sources; facts marked UNVERIFIED there are left empty here. Loading is idempotent: a trial whose
slug already exists is left untouched, and publications are matched by DOI, PMID or title.
"""

import datetime
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from trials import services
from trials.models import Trial

DEMO_FILE = Path(__file__).resolve().parent / "data" / "demo_trials.json"

TRIAL_FIELDS = {
    "acronym",
    "listing_type",
    "pay_to_participate",
    "summary",
    "participants",
    "phase",
    "status",
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
}
DATE_FIELDS = {"start_date", "primary_completion_date", "completion_date", "last_verified"}


@dataclass
class DemoReport:
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def _date(value):
    return datetime.date.fromisoformat(value) if value else None


def _publication(record: dict):
    data = dict(record)
    data.pop("key")
    data["authors"] = "\n".join(data.pop("authors", []))
    return services.publication_get_or_create(**data)


DEMO_REASON = "load_demo: demo record from reference-trials.md (sources cited on the record)"


@transaction.atomic
def load_demo(path: Path = DEMO_FILE) -> DemoReport:
    data = json.loads(path.read_text(encoding="utf-8"))
    report = DemoReport()
    publications = {record["key"]: record for record in data["publications"]}

    for record in data["trials"]:
        if Trial.objects.filter(slug=record["slug"]).exists():
            report.unchanged.append(record["slug"])
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
            # Published by the loader (user None = the system), after its parts are in, so that
            # the review log says so and the trial is not flagged as edited since review.
            services.trial_publish(trial=trial, user=None, comment=DEMO_REASON)
        report.created.append(record["slug"])
    # Publications not linked to any trial (e.g. a review) are part of the catalogue too.
    for record in data["publications"]:
        _publication(record)
    return report
