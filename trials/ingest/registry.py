"""Import ClinicalTrials.gov records into the catalogue, one file at a time.

Parsing and mapping are pure (trials/ingest/parsers/); this module decides what to write and writes
it through the services, in one transaction per file: a file with a bad record writes nothing.

The merge policy, per field (and per group of parts: arms, outcomes, sites, ids, conditions).
`RegistryRecord.imported` holds two baselines from the last import: `mapped`, what the registry
said, and `applied`, what the trial held right after (as read back: defaults filled in).
- the registry's value equals `mapped` → it did not change: nothing to do;
- it changed, and the trial still holds `applied` (or nothing) → the new value is applied;
- it changed, and a curator had changed the trial's value → the curated value stays, and the
  registry's value waits in `pending` for a curator to accept or dismiss in the admin.
Re-importing the same file therefore changes nothing: no write, no history.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from trials import services
from trials.ingest.parsers import ctgov
from trials.ingest.parsers.ctgov import ARM_FIELDS
from trials.ingest.parsers.errors import ImportFileError
from trials.models import (
    Publication,
    PublicationRole,
    Registry,
    RegistryId,
    RegistryRecord,
    SourceKind,
    Trial,
)

OUTCOME_FIELDS = ["kind", "measure", "time_frame"]
# Columns of parts that the registry never fills but curators do. They are part of the
# comparison (as empty on the registry's side), so a curated result or dose detail makes the
# whole group wait for a curator instead of being replaced by the registry's list.
ARM_CURATED = ["dose_detail", "co_treatment"]
OUTCOME_CURATED = ["result", "primary_endpoint_met"]
SITE_FIELDS = ["country", "city", "name"]
PART_GROUPS = [
    "conditions",
    "sponsor",
    "collaborators",
    "registry_ids",
    "arms",
    "outcomes",
    "sites",
]
# The registry's reference types, as our publication roles.
# DERIVED marks a citation the registry matched to the study automatically: it states no role.
REFERENCE_ROLES = {
    "RESULT": PublicationRole.RESULTS,
    "BACKGROUND": PublicationRole.BACKGROUND,
    "DERIVED": PublicationRole.OTHER,
}


@dataclass
class RecordResult:
    identifier: str
    outcome: str  # created, updated, unchanged or skipped
    trial: Trial | None = None
    reason: str = ""
    unmapped: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)  # fields waiting for a curator
    changed: list[str] = field(default_factory=list)  # trial fields the registry updated

    @property
    def detail(self) -> str:
        """What "updated" means for this record: which trial fields changed, or only the
        registry record (its raw JSON, or registry values now waiting for a curator)."""
        if self.outcome != "updated":
            return ""
        return ", ".join(self.changed) if self.changed else "the registry record only"


@dataclass
class FileResult:
    name: str
    records: list[RecordResult] = field(default_factory=list)
    error: str = ""  # set when nothing from the file was written
    skipped: str = ""  # set when the whole file was skipped (a format we do not read)

    def count(self, outcome: str) -> int:
        return sum(1 for record in self.records if record.outcome == outcome)

    @property
    def tally(self) -> str:
        return ", ".join(
            f"{self.count(outcome)} {outcome}"
            for outcome in ("created", "updated", "unchanged", "skipped")
        )

    @property
    def ok(self) -> bool:
        return not self.error


def _plain(value: Any) -> Any:
    """A JSON-able form of a field value, so baselines compare equal after a round trip."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def mapped_values(study) -> dict[str, Any]:
    """What the registry says, in the shape of `current_values`."""
    values = {name: _plain(value) for name, value in study.fields.items()}
    values["conditions"] = sorted(study.conditions)
    values["sponsor"] = study.sponsor
    values["collaborators"] = sorted(study.collaborators)
    values["registry_ids"] = sorted([list(pair) for pair in study.registry_ids])
    values["arms"] = [
        {
            **{
                name: sorted(arm.routes) if name == "routes" else _plain(getattr(arm, name))
                for name in ARM_FIELDS
            },
            **dict.fromkeys(ARM_CURATED, ""),
        }
        for arm in study.arms
    ]
    values["outcomes"] = [
        {
            **{name: getattr(outcome, name) for name in OUTCOME_FIELDS},
            **dict.fromkeys(OUTCOME_CURATED, ""),
        }
        for outcome in study.outcomes
    ]
    values["sites"] = sorted(
        ([site.country, site.city, site.name] for site in study.sites), key=tuple
    )
    return values


def current_values(trial: Trial, keys) -> dict[str, Any]:
    """The trial's values for the keys an import maps, read fresh from the database."""
    values = {}
    for key in keys:
        if key == "conditions":
            values[key] = sorted(trial.conditions.values_list("slug", flat=True))
        elif key == "sponsor":
            values[key] = trial.sponsor.name if trial.sponsor else ""
        elif key == "collaborators":
            values[key] = sorted(trial.collaborators.values_list("name", flat=True))
        elif key == "registry_ids":
            values[key] = sorted(
                [r.registry, r.identifier] for r in trial.registry_ids.order_by("id")
            )
        elif key == "arms":
            values[key] = [
                {
                    "label": arm.label,
                    "role": arm.role,
                    "description": arm.description,
                    "cell_type": arm.cell_type.slug if arm.cell_type else None,
                    "origin": arm.origin,
                    "tissue_source": arm.tissue_source,
                    "routes": sorted(route.slug for route in arm.routes.all()),
                    "dose_min": arm.dose_min,
                    "dose_max": arm.dose_max,
                    "dose_unit": arm.dose_unit,
                    "administrations": arm.administrations,
                    "interval": arm.interval,
                    **{name: getattr(arm, name) for name in ARM_CURATED},
                }
                for arm in trial.interventions.select_related("cell_type")
                .prefetch_related("routes")
                .order_by("position", "id")
            ]
        elif key == "outcomes":
            values[key] = [
                {name: getattr(outcome, name) for name in OUTCOME_FIELDS + OUTCOME_CURATED}
                for outcome in trial.outcomes.order_by("position", "id")
            ]
        elif key == "sites":
            values[key] = sorted(
                ([site.country.code, site.city, site.name] for site in trial.sites.all()),
                key=tuple,
            )
        else:
            values[key] = _plain(getattr(trial, key))
    return values


def _empty(value) -> bool:
    return value in (None, "", [], {})


def _find_trial(study) -> Trial | None:
    """The trial this record belongs to: same NCT id, or a secondary id that matches."""
    for _registry, identifier in study.registry_ids:
        match = RegistryId.objects.filter(identifier__iexact=identifier).select_related("trial")
        if found := match.first():
            return found.trial
    return None


def _apply(trial: Trial, study, changes: dict[str, Any], *, user, reason: str) -> None:
    """Write the registry's values for these keys through the services, as one revision."""
    plain_fields = {key: study.fields[key] for key in changes if key not in PART_GROUPS}
    with services.change_record(user=user, reason=reason):
        if plain_fields:
            services.trial_update(trial=trial, user=user, reason=reason, **plain_fields)
        parts: dict[str, Any] = {}
        for key in PART_GROUPS:
            if key not in changes:
                continue
            value = changes[key]
            if key == "arms":
                value = [
                    {name: arm[name] for name in ARM_FIELDS if not _empty(arm.get(name))}
                    for arm in value
                ]
            elif key == "outcomes":
                value = [
                    {name: outcome[name] for name in OUTCOME_FIELDS if name in outcome}
                    for outcome in value
                ]
            elif key == "sites":
                value = [dict(zip(SITE_FIELDS, site, strict=True)) for site in value]
            parts[key] = value
        if parts:
            services.trial_replace_parts(trial=trial, user=user, reason=reason, **parts)


def _reference_pmids(study) -> list[str]:
    return sorted({reference.pmid for reference in study.references if reference.pmid})


def _link_publications(trial: Trial, study, *, known=(), user, reason: str) -> None:
    """The registry's references with a PMID become publications linked to the trial: the PMID,
    the registry's citation text and its role, nothing more (sync_pubmed later fills title,
    journal and the rest from PubMed). A PMID already in the catalogue is linked, not copied.
    Only references new since the last import (not in `known`) are linked, so a link a curator
    removed stays removed."""
    for reference in study.references:
        if not reference.pmid or reference.pmid in known:
            continue
        publication = Publication.objects.filter(pmid=reference.pmid).first()
        if publication is None:
            publication = services.publication_get_or_create(
                title="", pmid=reference.pmid, citation=reference.citation
            )
        if not trial.trialpublication_set.filter(publication=publication).exists():
            role = REFERENCE_ROLES.get(reference.type, PublicationRole.OTHER)
            services.publication_link(
                trial=trial, publication=publication, role=role, user=user, reason=reason
            )


def import_study(study, *, source_name: str, user=None, include_all: bool = False):
    nct = study.nct_id
    if not study.is_cell_therapy and not include_all:
        return RecordResult(nct, "skipped", reason=study.cell_therapy_reason)
    reason = f"Imported from ClinicalTrials.gov {nct} ({source_name})"
    values = mapped_values(study)
    record = (
        RegistryRecord.objects.select_for_update()
        .filter(registry=Registry.NCT, identifier=nct)
        .select_related("trial")
        .first()
    )
    trial = record.trial if record else _find_trial(study)
    unmapped = list(study.unmapped)

    if trial is None:
        with services.change_record(user=user, reason=reason):
            trial = services.trial_create(
                title=study.fields.get("title") or nct,
                created_by=user,
                user=user,
                reason=reason,
                **{k: v for k, v in study.fields.items() if k != "title"},
            )
            _apply(trial, study, {k: values[k] for k in PART_GROUPS}, user=user, reason=reason)
            services.source_add(
                trial=trial,
                kind=SourceKind.REGISTRY,
                title=f"ClinicalTrials.gov record {nct}",
                url=f"https://clinicaltrials.gov/study/{nct}",
                accessed_on=timezone.localdate(),
                user=user,
                reason=reason,
            )
            _link_publications(trial, study, user=user, reason=reason)
            RegistryRecord.objects.create(
                trial=trial,
                registry=Registry.NCT,
                identifier=nct,
                raw=study.raw,
                imported={
                    "mapped": values,
                    "applied": current_values(trial, values),
                    "references": _reference_pmids(study),
                },
                unmapped=unmapped,
                source_name=source_name[:255],
            )
        return RecordResult(nct, "created", trial, unmapped=unmapped)

    mapped_base = record.imported.get("mapped", {}) if record else {}
    applied_base = record.imported.get("applied", {}) if record else {}
    current = current_values(trial, values)
    pending = dict(record.pending) if record else {}
    apply: dict[str, Any] = {}
    for key, new in values.items():
        if key in mapped_base and new == mapped_base[key]:
            continue  # the registry did not change this since the last import
        if current[key] == new:
            pending.pop(key, None)
        elif key in applied_base and current[key] == applied_base[key]:
            apply[key] = new
            pending.pop(key, None)
        elif key not in applied_base and _empty(current[key]):
            # Never imported before (a trial entered by hand): its empty fields are filled.
            # Once imported, a value a curator cleared stays cleared (it waits, like any edit).
            apply[key] = new
            pending.pop(key, None)
        else:
            pending[key] = {"registry": new, "curated": current[key]}
    # A waiting value the registry no longer states has nothing left to offer.
    pending = {key: value for key, value in pending.items() if key in values}
    if (
        record is not None
        and not apply
        and record.raw == study.raw
        and mapped_base == values
        and record.pending == pending
        and record.imported.get("references", []) == _reference_pmids(study)
    ):
        return RecordResult(
            nct, "unchanged", trial, unmapped=list(record.unmapped), pending=sorted(pending)
        )
    with services.change_record(user=user, reason=reason):
        if apply:
            _apply(trial, study, apply, user=user, reason=reason)
        known = record.imported.get("references", []) if record else []
        _link_publications(trial, study, known=known, user=user, reason=reason)
        after = current_values(trial, values)
        # A curated value the registry disagrees with keeps its old baseline, so that it stays
        # recognised as curated at the next import.
        applied = {key: applied_base.get(key) if key in pending else after[key] for key in values}
        RegistryRecord.objects.update_or_create(
            registry=Registry.NCT,
            identifier=nct,
            defaults={
                "trial": trial,
                "raw": study.raw,
                "imported": {
                    "mapped": values,
                    "applied": applied,
                    "references": _reference_pmids(study),
                },
                "pending": pending,
                "unmapped": unmapped,
                "source_name": source_name[:255],
            },
        )
    return RecordResult(
        nct, "updated", trial, unmapped=unmapped, pending=sorted(pending), changed=sorted(apply)
    )


def describe_error(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items()
        )
    return " ".join(error.messages)


def import_ctgov_file(data: bytes, *, name: str, user=None, include_all: bool = False):
    """Import one downloaded file (one study, or a search response with several). Bad input
    gives a FileResult with `error` set, naming the record, and nothing written."""
    result = FileResult(name)
    try:
        parsed = ctgov.parse_file(data)
    except ImportFileError as error:
        result.error = f"{name}: {error}; nothing from this file was imported"
        return result
    if not parsed.supported:
        result.skipped = parsed.unsupported
        return result
    try:
        with transaction.atomic():
            for study in parsed.studies:
                try:
                    result.records.append(
                        import_study(study, source_name=name, user=user, include_all=include_all)
                    )
                except ValidationError as error:
                    raise ImportFileError(describe_error(error), record=study.nct_id) from error
    except ImportFileError as error:
        result.records = []
        result.error = f"{name}: {error}; nothing from this file was imported"
    return result


def accept_pending(record: RegistryRecord, key: str, *, user) -> None:
    """A curator takes the registry's value for a field that had been curated."""
    with services.change_record(user=user, reason=f"Registry value accepted for {key}"):
        record = RegistryRecord.objects.select_for_update().get(pk=record.pk)
        if key not in record.pending:
            raise ValidationError(f"No registry value is waiting for {key}.")
        waiting = record.pending.pop(key)
        new = waiting["registry"]
        # The curator decided against the curated value shown beside the registry's. If another
        # curator changed the field since, accepting would silently overwrite their edit.
        Trial.objects.select_for_update().filter(pk=record.trial_id).first()
        if current_values(record.trial, [key])[key] != waiting.get("curated"):
            raise ValidationError(
                f"Someone changed {key} on the trial after this registry value was offered; "
                "nothing was changed. Reload the registry record and decide again."
            )
        study = ctgov.map_study(record.raw)
        if key not in PART_GROUPS and key not in study.fields:
            raise ValidationError(f"The registry no longer states {key}; nothing to accept.")
        _apply(record.trial, study, {key: new}, user=user, reason=f"Registry value for {key}")
        # From now on the field follows the registry again.
        record.imported.setdefault("applied", {})[key] = current_values(record.trial, [key])[key]
        record.save(update_fields=["pending", "imported", "last_imported_at"])


def dismiss_pending(record: RegistryRecord, key: str, *, user) -> None:
    """A curator keeps the curated value; the registry's value stops being offered until the
    registry changes it again."""
    with transaction.atomic():
        record = RegistryRecord.objects.select_for_update().get(pk=record.pk)
        if record.pending.pop(key, None) is None:
            raise ValidationError(f"No registry value is waiting for {key}.")
        record.save(update_fields=["pending", "last_imported_at"])


def summary_lines(result) -> list[str]:
    """The per-file report shared by the command and the admin upload page."""
    if result.error:
        return [f"ERROR {result.error}"]
    if result.skipped:
        return [f"{result.name}: skipped: {result.skipped}"]
    lines = [f"{result.name}: {result.tally}"]
    for record in result.records:
        line = f"  {record.identifier}: {record.outcome}"
        if record.detail:
            line += f" ({record.detail})"
        if record.reason:
            line += f" ({record.reason})"
        if record.trial is not None:
            line += f" → /admin/trials/trial/{record.trial.pk}/change/"
        lines.append(line)
        lines += [f"    not mapped: {note}" for note in record.unmapped]
        lines += [f"    curated, registry differs: {key}" for key in record.pending]
    return lines
