"""Restore a backup into a catalogue with no trials, through the services, in one transaction."""

import datetime
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from trials import services
from trials.backup.format import DATES, FORMAT, VERSION, BackupError
from trials.backup.products import arm_product, eligibility_data, restore_product
from trials.models import (
    CellType,
    Condition,
    Intervention,
    Organisation,
    Outcome,
    Publication,
    Route,
    Trial,
)


def parse_lines(lines: Iterable[bytes | str]) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-blank line; a line that is not a JSON object stops
    the import with its number."""
    numbered = enumerate(lines, start=1)
    for number, raw in numbered:
        try:
            text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        except UnicodeDecodeError as error:
            raise BackupError(f"not UTF-8 text ({error.reason})", line=number) from None
        if not text.strip():
            continue
        try:
            data = json.loads(text.rstrip("\r\n"))
        except json.JSONDecodeError as error:
            last = next(numbered, None) is None
            hint = "; it is the last line, so the file looks truncated" if last else ""
            raise BackupError(
                f"not valid JSON ({error.msg}, column {error.colno}){hint}", line=number
            ) from None
        if not isinstance(data, dict):
            raise BackupError("expected a JSON object", line=number)
        yield number, data


class _Fields:
    """One JSON object of a backup line, read key by key: a problem names the line and the
    field (`interventions[1].dose_max`)."""

    def __init__(self, data: dict, line: int, path: str = ""):
        self.data, self.line, self.path = data, line, path

    def where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def error(self, key: str, message: str) -> BackupError:
        return BackupError(message, line=self.line, field=self.where(key))

    def _get(self, key: str, types: tuple, expected: str, nullable: bool):
        if key not in self.data:
            raise self.error(key, "missing")
        value = self.data[key]
        if value is None and nullable:
            return None
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise self.error(key, f"expected {expected}, got {json.dumps(value)[:60]}")
        return value

    def text(self, key: str) -> str:
        """A string; null means empty (the public schema writes empty codes as null)."""
        return self._get(key, (str,), "a string", nullable=True) or ""

    def integer(self, key: str, *, nullable: bool = True) -> int | None:
        return self._get(key, (int,), "a whole number", nullable)

    def boolean(self, key: str, *, nullable: bool = False) -> bool | None:
        return self._get(key, (bool,), "true or false", nullable)

    def date(self, key: str) -> datetime.date | None:
        value = self._get(key, (str,), "an ISO date (YYYY-MM-DD)", nullable=True)
        try:
            return datetime.date.fromisoformat(value) if value else None
        except ValueError:
            raise self.error(key, f"not an ISO date: {value!r}") from None

    def moment(self, key: str, *, nullable: bool = True) -> datetime.datetime | None:
        value = self._get(key, (str,), "an ISO date and time", nullable)
        if value is None:
            return None
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError:
            raise self.error(key, f"not an ISO date and time: {value!r}") from None
        if timezone.is_naive(moment):
            raise self.error(key, f"needs a UTC offset: {value!r}")
        return moment

    def strings(self, key: str) -> list[str]:
        values = self._get(key, (list,), "a list", nullable=False)
        if not all(isinstance(value, str) for value in values):
            raise self.error(key, "expected a list of strings")
        return values

    def object(self, key: str, *, nullable: bool = False) -> "_Fields | None":
        value = self._get(key, (dict,), "an object", nullable)
        return None if value is None else _Fields(value, self.line, self.where(key))

    def objects(self, key: str) -> list["_Fields"]:
        values = self._get(key, (list,), "a list", nullable=False)
        items = []
        for index, value in enumerate(values):
            if not isinstance(value, dict):
                raise self.error(f"{key}[{index}]", "expected an object")
            items.append(_Fields(value, self.line, self.where(f"{key}[{index}]")))
        return items


# Model field names that the backup spells differently.
_FIELD_KEYS = {f"{name}_precision": f"date_precisions.{name}" for name in DATES}


@contextmanager
def _service_call(fields: _Fields):
    """Turn a service's ValidationError (or a rule only the database enforces) into a
    BackupError naming the line and the backup field."""
    try:
        yield
    except ValidationError as error:
        items = error.message_dict.items() if hasattr(error, "error_dict") else [("", error)]
        problems = []
        for name, messages in items:
            messages = messages.messages if isinstance(messages, ValidationError) else messages
            key = "" if name in ("", "__all__") else _FIELD_KEYS.get(name, name)
            where = fields.where(key) if key else fields.path
            problems.append(f"{where}: {' '.join(messages)}" if where else " ".join(messages))
        raise BackupError("; ".join(problems), line=fields.line) from error
    except DatabaseError as error:
        raise BackupError(
            f"the database refused it ({error})", line=fields.line, field=fields.path
        ) from error


@dataclass
class ImportReport:
    trials: Counter = field(default_factory=Counter)  # per workflow state
    publications_created: int = 0
    organisations_created: int = 0
    missing_users: Counter = field(default_factory=Counter)  # username: references left empty


class _Importer:
    def __init__(self):
        self.report = ImportReport()
        self.header_seen = False
        self.end: _Fields | None = None
        self.counts = Counter(trials=0, publications=0, organisations=0)
        self.trial_ids: list[int] = []
        self.users: dict[str, Any] = {}
        self.vocabulary = {
            model: set(model.objects.values_list("slug", flat=True))
            for model in (Condition, CellType, Route)
        }
        self.last_line = 0
        self.products = 0

    def add(self, line: int, data: dict) -> None:
        self.last_line = line
        fields = _Fields(data, line)
        kind = fields.text("record")
        if self.end is not None:
            raise BackupError("nothing may follow the end record", line=line)
        if not self.header_seen:
            if kind != "header":
                raise fields.error("record", "the first line must be the backup header")
            self._header(fields)
        elif kind == "trial":
            self._trial(fields)
            self.counts["trials"] += 1
        elif kind == "publication":
            self._publication(fields, self._publication_data(fields))
            self.counts["publications"] += 1
        elif kind == "organisation":
            self._organisation(fields, self._organisation_data(fields))
            self.counts["organisations"] += 1
        elif kind == "product":
            restore_product(fields)
            self.products += 1
        elif kind == "end":
            self.end = fields
        else:
            raise fields.error("record", f"unknown record type {kind!r}")

    def finish(self) -> None:
        if self.end is None:
            raise BackupError(
                "the file ends without its end record: it was truncated, or not written by "
                "export_trials",
                line=self.last_line or None,
            )
        for key, count in self.counts.items():
            expected = self.end.integer(key, nullable=False)
            if expected != count:
                raise self.end.error(key, f"the end record counts {expected}, the file has {count}")
        if "products" in self.end.data and self.end.integer("products") != self.products:
            raise self.end.error("products", f"the file has {self.products} product(s)")
        # The services indexed each trial as they built it; the bookkeeping restored after
        # them (positions) changes the order of the search document, so index once more.
        services.trials_reindex(trial_ids=self.trial_ids)

    def _header(self, fields: _Fields) -> None:
        if fields.text("format") != FORMAT:
            raise fields.error("format", f"not a {FORMAT} file")
        version = fields.integer("version", nullable=False)
        if version != VERSION:
            raise fields.error("version", f"this tracker reads version {VERSION}, not {version}")
        self.header_seen = True

    def _slugs(self, fields: _Fields, key: str, model, values: list[str]) -> list[str]:
        unknown = [value for value in values if value not in self.vocabulary[model]]
        if unknown:
            name = model._meta.verbose_name
            raise fields.error(key, f"unknown {name} slug(s): {', '.join(unknown)}")
        return values

    def _user(self, fields: _Fields, key: str):
        username = fields.text(key)
        if not username:
            return None
        if username not in self.users:
            User = get_user_model()
            self.users[username] = User._default_manager.filter(
                **{User.USERNAME_FIELD: username}
            ).first()
        if self.users[username] is None:
            self.report.missing_users[username] += 1
        return self.users[username]

    def _check_same(self, fields: _Fields, instance, expected: dict, what: str) -> None:
        """A get_or_create service may find an existing row (a publication shared by trials);
        refuse to merge the backup's record into one that says something else."""
        for name, value in expected.items():
            if getattr(instance, name) != value:
                raise fields.error(
                    name,
                    f"an existing {what} matches this one but has {name} "
                    f"{getattr(instance, name)!r}, not {value!r}",
                )

    # Reading a record (no writes) -----------------------------------------------------------

    def _organisation_data(self, fields: _Fields) -> dict:
        return {key: fields.text(key) for key in ("name", "country", "website")}

    def _publication_data(self, fields: _Fields) -> dict:
        return {
            "title": fields.text("title"),
            "authors": fields.text("authors"),
            "et_al": fields.boolean("et_al"),
            "journal": fields.text("journal"),
            "year": fields.integer("year"),
            "volume": fields.text("volume"),
            "issue": fields.text("issue"),
            "pages": fields.text("pages"),
            "doi": fields.text("doi"),
            "pmid": fields.text("pmid"),
            "pmcid": fields.text("pmcid"),
            "url": fields.text("url"),
            # The registry's citation text (added with the registry sync): older backups lack it.
            "citation": fields.text("citation") if "citation" in fields.data else "",
        }

    def _arm_data(self, arm: _Fields) -> dict:
        cell_type = arm.text("cell_type") or None
        if cell_type:
            self._slugs(arm, "cell_type", CellType, [cell_type])
        return {
            "label": arm.text("label"),
            "role": arm.text("role"),
            "description": arm.text("description"),
            "cell_type": cell_type,
            "origin": arm.text("origin"),
            "tissue_source": arm.text("tissue_source"),
            "routes": self._slugs(arm, "routes", Route, arm.strings("routes")),
            "dose_min": arm.integer("dose_min"),
            "dose_max": arm.integer("dose_max"),
            "dose_unit": arm.text("dose_unit"),
            "dose_detail": arm.text("dose_detail"),
            "administrations": arm.integer("administrations"),
            "interval": arm.text("interval"),
            "co_treatment": arm.text("co_treatment"),
            "product": arm_product(arm),
        }

    def _outcome_data(self, outcome: _Fields) -> dict:
        keys = ("kind", "measure", "time_frame", "result", "primary_endpoint_met")
        return {key: outcome.text(key) for key in keys}

    def _site_data(self, site: _Fields) -> dict:
        return {key: site.text(key) for key in ("country", "name", "city")}

    def _source_data(self, source: _Fields) -> dict:
        return {
            "kind": source.text("kind"),
            "title": source.text("title"),
            "url": source.text("url"),
            "accessed_on": source.date("accessed_on"),
            "supports": source.text("supports"),
        }

    def _trial_data(self, f: _Fields) -> dict:
        slug = f.text("slug")
        if not slug:
            raise f.error("slug", "empty")
        precisions = f.object("date_precisions")
        return {
            "slug": slug,
            "title": f.text("title"),
            "acronym": f.text("acronym"),
            "listing_type": f.text("listing_type"),
            "pay_to_participate": f.boolean("pay_to_participate", nullable=True),
            "summary": f.text("summary"),
            "participants": f.text("participants"),
            "phase": f.text("phase"),
            "status": f.text("status"),
            "allocation": f.text("allocation"),
            "masking": f.text("masking"),
            "control": f.text("control"),
            "design_notes": f.text("design_notes"),
            "target_enrollment": f.integer("target_enrollment"),
            "actual_enrollment": f.integer("actual_enrollment"),
            "follow_up_months": f.integer("follow_up_months"),
            "follow_up_detail": f.text("follow_up_detail"),
            **{name: f.date(name) for name in DATES},
            **{f"{name}_precision": precisions.text(name) for name in DATES},
            **self._status_check(f),
            **eligibility_data(f),
            "has_results": f.boolean("has_results"),
            "results_summary": f.text("results_summary"),
            "serious_adverse_events": f.integer("serious_adverse_events"),
            "treatment_related_saes": f.integer("treatment_related_saes"),
            "deaths": f.integer("deaths"),
            "workflow": f.text("workflow"),
            "published_at": f.moment("published_at"),
            "last_verified": f.date("last_verified"),
            "curator_notes": f.text("curator_notes"),
            "conditions": self._slugs(f, "conditions", Condition, f.strings("conditions")),
        }

    def _status_check(self, f: _Fields) -> dict:
        # Added after format version 1 shipped: a backup written before has none of these keys,
        # and restores with the status unchecked and no evidence notes.
        if "status_check" not in f.data:
            return {}
        check = f.object("status_check")
        return {
            "status_checked": check.date("date"),
            "status_checked_precision": check.text("precision"),
            "status_source": f.text("status_source"),
            "evidence_notes": f.text("evidence_notes"),
        }

    # Writing, through the services ----------------------------------------------------------

    def _organisation(self, fields: _Fields, data: dict) -> Organisation:
        before = Organisation.objects.count()
        with _service_call(fields):
            organisation = services.organisation_get_or_create(**data)
        self.report.organisations_created += Organisation.objects.count() - before
        self._check_same(fields, organisation, data, "organisation")
        return organisation

    def _publication(self, fields: _Fields, data: dict) -> Publication:
        before = Publication.objects.count()
        with _service_call(fields):
            publication = services.publication_get_or_create(**data)
        self.report.publications_created += Publication.objects.count() - before
        expected = Publication(**data)
        expected.clean()  # compare in the stored form (e.g. a DOI in lower case)
        self._check_same(
            fields, publication, {key: getattr(expected, key) for key in data}, "publication"
        )
        return publication

    def _trial(self, f: _Fields) -> None:
        # Read the whole line before the first write: a malformed part costs no work.
        values = self._trial_data(f)
        sponsor = f.object("sponsor", nullable=True)
        sponsor_data = self._organisation_data(sponsor) if sponsor else None
        collaborators = [(c, self._organisation_data(c)) for c in f.objects("collaborators")]
        users = {key: self._user(f, key) for key in ("created_by", "reviewed_by")}
        registries = [
            (r, r.text("registry"), r.text("identifier")) for r in f.objects("registries")
        ]
        arms = [
            (a, self._arm_data(a), a.integer("position", nullable=False))
            for a in f.objects("interventions")
        ]
        outcomes = [
            (o, self._outcome_data(o), o.integer("position", nullable=False))
            for o in f.objects("outcomes")
        ]
        sites = [(s, self._site_data(s)) for s in f.objects("sites")]
        sources = [(s, self._source_data(s)) for s in f.objects("sources")]
        publications = [
            (p, p.text("role"), self._publication_data(p)) for p in f.objects("publications")
        ]
        bookkeeping = {
            "edited_since_review": f.boolean("edited_since_review"),
            "version": f.integer("version", nullable=False),
            "created_at": f.moment("created_at", nullable=False),
            "updated_at": f.moment("updated_at", nullable=False),
        }

        sponsor_row = self._organisation(sponsor, sponsor_data) if sponsor else None
        collaborator_rows = [self._organisation(part, data) for part, data in collaborators]
        with _service_call(f):
            trial = services.trial_create(
                sponsor=sponsor_row, collaborators=collaborator_rows, **users, **values
            )
        for part, registry, identifier in registries:
            with _service_call(part):
                services.registry_id_add(trial=trial, registry=registry, identifier=identifier)
        positions: list[tuple[type, int, int]] = []
        for part, data, position in arms:
            with _service_call(part):
                arm = services.intervention_add(trial=trial, **data)
            positions.append((Intervention, arm.pk, position))
        for part, data, position in outcomes:
            with _service_call(part):
                outcome = services.outcome_add(trial=trial, **data)
            positions.append((Outcome, outcome.pk, position))
        for part, data in sites:
            with _service_call(part):
                services.site_add(trial=trial, **data)
        for part, data in sources:
            with _service_call(part):
                services.source_add(trial=trial, **data)
        for part, role, data in publications:
            publication = self._publication(part, data)
            with _service_call(part):
                services.publication_link(trial=trial, publication=publication, role=role)

        # What the services keep for themselves (timestamps, the edit counter and flag, the
        # order of parts, which they number 0, 1, 2…) is written back as recorded, after them:
        # none of it is in the browse index, and `auto_now` fields cannot be set by `save()`.
        for model, pk, position in positions:
            model.objects.filter(pk=pk).exclude(position=position).update(position=position)
        with _service_call(f):
            Trial.objects.filter(pk=trial.pk).update(**bookkeeping)
        trial.refresh_from_db()
        services.trial_snapshot(trial=trial, reason=RESTORE_REASON)
        self.trial_ids.append(trial.pk)
        self.report.trials[trial.workflow] += 1


RESTORE_REASON = "import_trials: restored from a backup"


def import_records(records: Iterable[tuple[int, dict]]) -> ImportReport:
    """Restore a backup (from `parse_lines`) into a catalogue without trials, all or nothing."""
    with transaction.atomic():
        existing = Trial.objects.count()
        if existing:
            raise BackupError(
                f"the database already holds {existing} trial(s); import_trials restores into "
                "an empty catalogue only"
            )
        importer = _Importer()
        for line, data in records:
            # One history entry per restored trial, saying where it came from.
            with services.change_record(reason=RESTORE_REASON):
                importer.add(line, data)
        importer.finish()
    return importer.report
