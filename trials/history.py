"""A trial's history: what django-reversion records, and how curators read it.

Every write service ends by snapshotting the trial *with all its parts* into one revision
(`services._record`), with the user and the reason. Reading side only here: registering the
models, listing a trial's versions and computing a human-readable diff between two of them.
Why reversion rather than per-table history: docs/adr/0001-history-with-django-reversion.md.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

import reversion
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from reversion.models import Version

from trials.choices import Workflow
from trials.models import (
    Intervention,
    Outcome,
    RegistryId,
    Site,
    Source,
    Trial,
    TrialPublication,
)

# The parts of a trial, in the order a curator reads them; each is followed from the trial so a
# snapshot holds them all and a revert restores (and removes) them together.
PARTS = {
    "registry_ids": RegistryId,
    "interventions": Intervention,
    "outcomes": Outcome,
    "sites": Site,
    "sources": Source,
    "trialpublication_set": TrialPublication,
}
# Derived from the rest and rebuilt by trials_reindex; not worth keeping or restoring.
TRIAL_EXCLUDE = ["search_text"]
# Bookkeeping that changes on every save; a diff that listed it would bury the real changes.
NOT_DIFFED = {"id", "trial", "trial_id", "updated_at", "created_at", "version", *TRIAL_EXCLUDE}


def register() -> None:
    if reversion.is_registered(Trial):
        return
    reversion.register(Trial, follow=list(PARTS), exclude=TRIAL_EXCLUDE)
    for model in PARTS.values():
        reversion.register(model)


def trial_versions(trial: Trial):
    """The trial's own snapshots, newest first, with who and why."""
    return (
        Version.objects.get_for_object(trial)
        .select_related("revision", "revision__user")
        .order_by("-revision__date_created", "-pk")
    )


@dataclass
class Change:
    what: str  # "Trial" or the part, e.g. "Intervention “NurOwn”"
    field: str  # verbose field name, or "" for a part added/removed
    old: str = ""
    new: str = ""


@dataclass
class Snapshot:
    trial: dict
    parts: dict[tuple[type, str], tuple[str, dict]] = field(default_factory=dict)


def snapshot(version: Version) -> Snapshot:
    """The trial and its parts as stored in one revision."""
    parts = {}
    for part in version.revision.version_set.exclude(pk=version.pk).select_related("content_type"):
        model = part.content_type.model_class()
        # A bulk action's revision may hold several trials: keep this one's parts.
        if model in PARTS.values() and str(part.field_dict.get("trial_id")) == version.object_id:
            parts[(model, part.object_id)] = (part.object_repr, part.field_dict)
    return Snapshot(trial=version.field_dict, parts=parts)


def _display(model: type[models.Model], name: str, value) -> str:
    try:
        model_field = model._meta.get_field(name)
    except Exception:  # a field removed since the snapshot was taken
        return str(value)
    if value in (None, ""):
        return "—"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if model_field.many_to_many:
        related = model_field.related_model.objects.filter(pk__in=value or [])
        return ", ".join(sorted(str(obj) for obj in related)) or "—"
    if model_field.many_to_one:
        obj = model_field.related_model.objects.filter(pk=value).first()
        return str(obj) if obj else f"#{value} (deleted)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%d %b %Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d %b %Y")
    return str(value)


def _field_changes(model, what: str, old: dict, new: dict) -> list[Change]:
    changes = []
    for name in sorted(set(old) | set(new)):
        if name in NOT_DIFFED or name.endswith("_ptr"):
            continue
        before, after = old.get(name), new.get(name)
        if isinstance(before, list) and isinstance(after, list):
            before, after = sorted(before), sorted(after)
        if before != after:
            try:
                label = str(model._meta.get_field(name).verbose_name)
            except Exception:
                label = name
            shown = _display(model, name, before), _display(model, name, after)
            if shown[0] != shown[1]:  # e.g. None and [] both read "—"
                changes.append(Change(what, label, *shown))
    return changes


def diff(old: Snapshot | None, new: Snapshot) -> list[Change]:
    """What changed from `old` to `new`: trial fields first, then parts added, removed or
    changed. `old=None` lists everything `new` holds (the first version)."""
    old = old or Snapshot(trial={}, parts={})
    changes = _field_changes(Trial, "Trial", old.trial, new.trial)
    for key in sorted(set(old.parts) | set(new.parts), key=lambda k: (k[0].__name__, k[1])):
        model, _ = key
        label = str(model._meta.verbose_name).capitalize()
        if key not in old.parts:
            changes.append(Change(f"{label} “{new.parts[key][0]}”", "", "", "added"))
        elif key not in new.parts:
            changes.append(Change(f"{label} “{old.parts[key][0]}”", "", "removed", ""))
        else:
            what = f"{label} “{new.parts[key][0]}”"
            changes += _field_changes(model, what, old.parts[key][1], new.parts[key][1])
    return changes


def changes_since(trial: Trial, version_number: int) -> list[Change]:
    """What others saved after the curator opened `version_number` of the trial (for the
    message that refuses a stale save). Empty if that version has no snapshot."""
    versions = list(trial_versions(trial)[:50])
    if not versions:
        return []
    base = next((v for v in versions if v.field_dict.get("version") == version_number), None)
    return diff(snapshot(base) if base else None, snapshot(versions[0])) if base else []


# --- the published history (what the public was shown, for feeds) -----------------------------
#
# A snapshot is *published state* when the trial in it is published and has no edit waiting
# for review: the snapshot taken at `publish` and at `approve_edits` (and the no-change
# snapshots of a reviewed published trial, such as "marked verified"). A draft, an edit still
# awaiting review (edited_since_review) and a withdrawn trial are never published state.


def is_published_state(field_dict: dict) -> bool:
    return field_dict.get("workflow") == Workflow.PUBLISHED and not field_dict.get(
        "edited_since_review"
    )


@dataclass
class PublishedVersion:
    version: Version
    snapshot: Snapshot
    republished: bool = False  # the trial was withdrawn (or unpublished) since the last one


def published_histories(trial_ids) -> dict[int, list[PublishedVersion]]:
    """Each trial's published-state snapshots, oldest first, in a fixed number of queries
    (the trials' versions, then every part of their revisions)."""
    versions = list(
        Version.objects.get_for_model(Trial)
        .filter(object_id__in=[str(pk) for pk in trial_ids])
        .select_related("revision")
        .order_by("revision__date_created", "pk")
    )
    parts_by_revision: dict[int, list[Version]] = {}
    for part in (
        Version.objects.filter(revision_id__in={v.revision_id for v in versions})
        .exclude(content_type=ContentType.objects.get_for_model(Trial))
        .select_related("content_type")
    ):
        parts_by_revision.setdefault(part.revision_id, []).append(part)
    histories: dict[int, list[PublishedVersion]] = {}
    gap: dict[int, bool] = {}
    for version in versions:
        trial_id = int(version.object_id)
        fields = version.field_dict
        if not is_published_state(fields):
            if fields.get("workflow") != Workflow.PUBLISHED:
                gap[trial_id] = True
            continue
        parts = {}
        for part in parts_by_revision.get(version.revision_id, []):
            model = part.content_type.model_class()
            own = str(part.field_dict.get("trial_id")) == version.object_id
            if model in PARTS.values() and own:
                parts[(model, part.object_id)] = (part.object_repr, part.field_dict)
        history = histories.setdefault(trial_id, [])
        history.append(
            PublishedVersion(version, Snapshot(fields, parts), bool(history and gap.get(trial_id)))
        )
        gap[trial_id] = False
    return histories
