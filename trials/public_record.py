"""The public record of a trial: the one schema behind the CSV and JSON exports, backups and
the API. Documented in docs/architecture.md ("Export schema") and stable: fields may be
added, never renamed or removed.

Reindexing stores each published trial's record as JSON text (trials.models.PublicRecord), so
exports and API pages read one row per trial instead of rebuilding it from a dozen tables.
"""

import csv
import io
import json

from trials.models import PublicRecord, Trial
from trials.models.eligibility import ELIGIBILITY_FIELDS
from trials.public_state import public_trials

# Rows are read in chunks of this many (`iterator(chunk_size=…)` with prefetching), so memory
# does not grow with the number of trials.
CHUNK = 500
# Stored records are read this many at a time, by primary key.
STORED_CHUNK = 1000
# A stored record starts with its path; the site's address goes in front when it is read.
URL_START = '{"url": "'

CSV_COLUMNS = [
    "url",
    "slug",
    "title",
    "acronym",
    "listing_type",
    "registry_ids",
    "conditions",
    "cell_types",
    "routes",
    "origins",
    "phase",
    "status",
    "target_enrollment",
    "actual_enrollment",
    "follow_up_months",
    "start_date",
    "has_results",
    "publication_dois",
    "updated_at",
    # Added after the first release: new columns go at the end, so existing readers keep working.
    "status_checked",
    # Issue 13: cell products and structured eligibility (empty = not stated).
    "products",
    "age_min_months",
    "age_max_months",
    "sex",
    "edss_min",
    "edss_max",
    "alsfrs_min",
    "onset_max_months",
    "fvc_min_percent",
]

# A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _unique(values):
    return list(dict.fromkeys(v for v in values if v))


def eligibility_record(trial: Trial) -> dict:
    """Who may take part, as stated ranges; null = the sources do not state it. EDSS as a
    string ("6.5") so that no reader turns it into 6.499999."""
    record = {name: getattr(trial, name) for name in ELIGIBILITY_FIELDS}
    record["sex"] = record["sex"] or None
    for name in ("edss_min", "edss_max"):
        record[name] = None if record[name] is None else str(record[name])
    return record


def trial_record(trial: Trial, base_url: str) -> dict:
    """The public export schema of one trial."""
    arms = list(trial.interventions.all())
    return {
        "url": base_url + trial.get_absolute_url(),
        "slug": trial.slug,
        "title": trial.title,
        "acronym": trial.acronym,
        "listing_type": trial.listing_type,
        "registry_ids": [r.identifier for r in trial.registry_ids.all()],
        "conditions": [c.slug for c in trial.conditions.all()],
        "cell_types": _unique(arm.cell_type.slug for arm in arms if arm.cell_type),
        "routes": _unique(route.slug for arm in arms for route in arm.routes.all()),
        "origins": _unique(arm.origin for arm in arms),
        "phase": trial.phase or None,
        "status": trial.status or None,
        # When and by what the status was confirmed: "2012-11" (a registry's verified month)
        # or "2024-02-05"; null when no source dates it.
        "status_checked": trial.status_checked_iso,
        "status_source": trial.status_source or None,
        "target_enrollment": trial.target_enrollment,
        "actual_enrollment": trial.actual_enrollment,
        "follow_up_months": trial.follow_up_months,
        "start_date": trial.start_date.isoformat() if trial.start_date else None,
        "start_date_precision": trial.start_date_precision if trial.start_date else None,
        "has_results": trial.has_results,
        "interventions": [
            {
                "label": arm.label,
                "role": arm.role,
                "cell_type": arm.cell_type.slug if arm.cell_type else None,
                "origin": arm.origin or None,
                "tissue_source": arm.tissue_source or None,
                "routes": [route.slug for route in arm.routes.all()],
                "dose_min": arm.dose_min,
                "dose_max": arm.dose_max,
                "dose_unit": arm.dose_unit or None,
                "administrations": arm.administrations,
                "product": arm.product.slug if arm.product else None,
            }
            for arm in arms
        ],
        "outcomes": [
            {
                "kind": outcome.kind,
                "measure": outcome.measure,
                "time_frame": outcome.time_frame,
                "result": outcome.result,
                "primary_endpoint_met": outcome.primary_endpoint_met or None,
            }
            for outcome in trial.outcomes.all()
        ],
        "publications": [
            {
                "role": link.role,
                "title": link.publication.title,
                "journal": link.publication.journal,
                "year": link.publication.year,
                "doi": link.publication.doi or None,
                "pmid": link.publication.pmid or None,
            }
            for link in trial.publication_links
        ],
        "updated_at": trial.updated_at.isoformat(),
        "products": _unique(arm.product.slug for arm in arms if arm.product),
        "eligibility": eligibility_record(trial),
    }


def csv_row(record: dict) -> list[str]:
    joined = {
        "registry_ids": "; ".join(record["registry_ids"]),
        "conditions": "; ".join(record["conditions"]),
        "cell_types": "; ".join(record["cell_types"]),
        "routes": "; ".join(record["routes"]),
        "origins": "; ".join(record["origins"]),
        "publication_dois": "; ".join(p["doi"] for p in record["publications"] if p["doi"]),
        "has_results": "yes" if record["has_results"] else "no",
        "products": "; ".join(record["products"]),
        **record["eligibility"],
    }
    return [neutralise(joined.get(column, record.get(column))) for column in CSV_COLUMNS]


def stored_document(trial: Trial) -> str:
    """The JSON text reindexing stores: the record with its address as a path."""
    return json.dumps(trial_record(trial, ""), ensure_ascii=False)


def stored_texts(trial: Trial) -> tuple[str, str]:
    """What reindexing stores of a trial: its record as JSON text and as a CSV line, each with
    its address as a path."""
    record = trial_record(trial, "")
    return json.dumps(record, ensure_ascii=False), csv_line(record)


def csv_line(record: dict) -> str:
    """A record as one line of the CSV export: every cell quoted, formulas neutralised."""
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL).writerow(csv_row(record))
    return out.getvalue()


def stored_csv_lines(trial_ids, base_url: str):
    """The CSV lines of these published trials, in this order, with the site's address in
    front of each path (the first cell): as `csv_line(trial_record(trial, base_url))`, read
    STORED_CHUNK at a time. Stored lines make the CSV export as cheap as the JSON one (issue
    14: it built each line from the parsed record, about 4,000 trials a second)."""
    start_cell = '"' + base_url.replace('"', '""')
    for start in range(0, len(trial_ids), STORED_CHUNK):
        chunk = [int(pk) for pk in trial_ids[start : start + STORED_CHUNK]]
        found = dict(
            PublicRecord.objects.filter(trial_id__in=chunk).values_list("trial_id", "csv_line")
        )
        # Rows stored before the lines were: built from their record.
        missing = [pk for pk in chunk if not found.get(pk)]
        for pk, document in stored_pairs(missing) if missing else ():
            found[pk] = csv_line(json.loads(document))
        for pk in chunk:
            if found.get(pk):
                yield start_cell + found[pk][1:]


def with_base_url(document: str, base_url: str) -> str:
    """A stored record as the exports write it (json.dumps of `trial_record(trial,
    base_url)`), without parsing it."""
    if not document.startswith(URL_START):
        raise ValueError("not a stored public record")
    return URL_START + json.dumps(base_url, ensure_ascii=False)[1:-1] + document[len(URL_START) :]


def stored_documents(trial_ids, base_url: str):
    """The JSON text of these published trials' records (`trial_ids`: a list or an array), in
    this order, read STORED_CHUNK at a time, so memory does not grow with their number."""
    for _pk, document in stored_pairs(trial_ids):
        yield with_base_url(document, base_url)


def stored_pairs(trial_ids):
    """(id, stored JSON text with the path as `url`) of these published trials, in order. A
    trial not reindexed since the records were introduced has its record built on the spot."""
    for start in range(0, len(trial_ids), STORED_CHUNK):
        chunk = [int(pk) for pk in trial_ids[start : start + STORED_CHUNK]]
        found = dict(
            PublicRecord.objects.filter(trial_id__in=chunk).values_list("trial_id", "document")
        )
        missing = [pk for pk in chunk if pk not in found]
        if missing:
            trials = Trial.objects.published().filter(pk__in=missing).for_detail()
            for trial in public_trials(trials):
                found[trial.pk] = stored_document(trial)
        for pk in chunk:
            if pk in found:
                yield pk, found[pk]
