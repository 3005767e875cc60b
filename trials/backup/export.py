"""Write a backup: every trial in every workflow state, as JSON Lines."""

import json
from collections import Counter
from collections.abc import Iterator
from typing import TextIO

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from trials.backup.format import DATES, FORMAT, VERSION
from trials.backup.products import product_record
from trials.models import (
    CellProduct,
    Organisation,
    Publication,
    Trial,
    TrialPublication,
)
from trials.public_record import CHUNK, trial_record


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


def _extend(record: dict, extension: dict) -> None:
    """Add backup-only keys to a public record; never replace a public value."""
    clash = record.keys() & extension.keys()
    if clash:  # the public schema grew a key the backup already uses: rename the backup's
        raise RuntimeError(f"Backup keys would replace public export keys: {sorted(clash)}")
    record.update(extension)


def organisation_fields(organisation: Organisation) -> dict:
    return {
        "name": organisation.name,
        "country": organisation.country.code or None,
        "website": organisation.website,
    }


def publication_fields(publication: Publication) -> dict:
    return {
        "title": publication.title,
        "authors": publication.authors,  # as stored: one author per line
        "et_al": publication.et_al,
        "journal": publication.journal,
        "year": publication.year,
        "volume": publication.volume,
        "issue": publication.issue,
        "pages": publication.pages,
        "doi": publication.doi or None,
        "pmid": publication.pmid or None,
        "pmcid": publication.pmcid or None,
        "url": publication.url,
        "citation": publication.citation,
    }


def trial_backup_record(trial: Trial, base_url: str = "") -> dict:
    """The public record of `trial` plus everything else a restore needs. The trial must come
    from `Trial.objects.for_backup()` (the public record reads its prefetches)."""
    record = {"record": "trial"} | trial_record(trial, base_url)
    arms = list(trial.interventions.all())
    for public, arm in zip(record["interventions"], arms, strict=True):
        _extend(
            public,
            {
                "description": arm.description,
                "dose_detail": arm.dose_detail,
                "interval": arm.interval,
                "co_treatment": arm.co_treatment,
                "position": arm.position,
            },
        )
    for public, outcome in zip(record["outcomes"], trial.outcomes.all(), strict=True):
        _extend(public, {"position": outcome.position})
    for public, link in zip(record["publications"], trial.publication_links, strict=True):
        # The public object holds some of the publication's fields, written the same way.
        full = publication_fields(link.publication)
        _extend(public, {key: value for key, value in full.items() if key not in public})
    _extend(
        record,
        {
            # The public `registry_ids` lists identifiers only; a restore needs the registry.
            "registries": [
                {"registry": r.registry, "identifier": r.identifier}
                for r in trial.registry_ids.all()
            ],
            "pay_to_participate": trial.pay_to_participate,
            "summary": trial.summary,
            "participants": trial.participants,
            "allocation": trial.allocation or None,
            "masking": trial.masking or None,
            "control": trial.control or None,
            "design_notes": trial.design_notes,
            "follow_up_detail": trial.follow_up_detail,
            "primary_completion_date": _iso(trial.primary_completion_date),
            "completion_date": _iso(trial.completion_date),
            # Stored precisions, kept even without a date (the public record says null then).
            "date_precisions": {name: getattr(trial, f"{name}_precision") for name in DATES},
            # The public `status_checked` is a partial ISO date; a restore needs the stored day
            # and precision.
            "status_check": {
                "date": _iso(trial.status_checked),
                "precision": trial.status_checked_precision,
            },
            "evidence_notes": trial.evidence_notes,
            "sponsor": organisation_fields(trial.sponsor) if trial.sponsor else None,
            "collaborators": [organisation_fields(o) for o in trial.collaborators.all()],
            "results_summary": trial.results_summary,
            "serious_adverse_events": trial.serious_adverse_events,
            "treatment_related_saes": trial.treatment_related_saes,
            "deaths": trial.deaths,
            "sites": [
                {"name": site.name, "city": site.city, "country": site.country.code}
                for site in trial.sites.all()
            ],
            "sources": [
                {
                    "kind": source.kind,
                    "title": source.title,
                    "url": source.url,
                    "accessed_on": _iso(source.accessed_on),
                    "supports": source.supports,
                }
                for source in trial.sources.all()
            ],
            "workflow": trial.workflow,
            "published_at": _iso(trial.published_at),
            "reviewed_by": _username(trial.reviewed_by),
            "created_by": _username(trial.created_by),
            "last_verified": _iso(trial.last_verified),
            "curator_notes": trial.curator_notes,
            "eligibility_unmapped": trial.eligibility_unmapped,
            "edited_since_review": trial.edited_since_review,
            "version": trial.version,
            "created_at": _iso(trial.created_at),
        },
    )
    return record


def backup_records(*, base_url: str = "", exported_at=None) -> Iterator[dict]:
    """Header, one record per trial (by id), then publications and organisations no trial
    refers to, then an end record with the counts (a file cut at a line break still fails)."""
    yield {
        "record": "header",
        "format": FORMAT,
        "version": VERSION,
        "exported_at": _iso(exported_at or timezone.now()),
    }
    counts = Counter(trials=0, publications=0, organisations=0, products=0)
    # Products before the trials whose arms link to them.
    for product in CellProduct.objects.select_related("cell_type").order_by("pk"):
        counts["products"] += 1
        yield product_record(product)
    for trial in Trial.objects.for_backup().order_by("pk").iterator(chunk_size=CHUNK):
        counts["trials"] += 1
        yield trial_backup_record(trial, base_url)
    unlinked = Publication.objects.exclude(
        Exists(TrialPublication.objects.filter(publication=OuterRef("pk")))
    )
    for publication in unlinked.order_by("pk").iterator(chunk_size=CHUNK):
        counts["publications"] += 1
        yield {"record": "publication"} | publication_fields(publication)
    unused = Organisation.objects.exclude(
        Exists(Trial.objects.filter(sponsor=OuterRef("pk")))
    ).exclude(Exists(Trial.objects.filter(collaborators=OuterRef("pk"))))
    for organisation in unused.order_by("pk").iterator(chunk_size=CHUNK):
        counts["organisations"] += 1
        yield {"record": "organisation"} | organisation_fields(organisation)
    yield {"record": "end", **counts}


def write_backup(out: TextIO, *, base_url: str = "") -> Counter:
    """Write the backup to `out`, one JSON object a line; return trials per workflow state."""
    by_workflow: Counter = Counter()
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            # One snapshot for the whole file, so a curator saving meanwhile cannot leave a
            # trial half old, half new. SQLite's read transaction already gives one.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        for record in backup_records(base_url=base_url):
            if record["record"] == "trial":
                by_workflow[record["workflow"]] += 1
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return by_workflow
