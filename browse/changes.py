"""What changed in published trials, in plain words: the entries of the Atom feed.

Built from the published history only (`trials.history.published_histories`: the snapshots
taken at publish and at approve_edits). Each published-state snapshot is compared with the
trial's previous one; the first is "Newly published". Only public fields are compared (an
allowlist, so a private field added later can never leak), and parts are named by what the
public page shows. A draft, an edit awaiting review and curator notes never get here.
"""

from dataclasses import dataclass
from datetime import datetime

from reversion.models import Version

from trials import history
from trials.models import Trial, TrialPublication

# Trial fields a feed may mention, as the public page shows them.
PUBLIC_FIELDS = [
    "title",
    "acronym",
    "listing_type",
    "pay_to_participate",
    "phase",
    "status",
    "allocation",
    "masking",
    "control",
    "target_enrollment",
    "actual_enrollment",
    "follow_up_months",
    "start_date",
    "primary_completion_date",
    "completion_date",
    "sponsor",
    "collaborators",
    "conditions",
    "serious_adverse_events",
    "treatment_related_saes",
    "deaths",
]
# Long texts: "updated" is news, the text itself is on the page.
TEXTS = {
    "summary": "Summary updated",
    "participants": "Who can take part updated",
    "design_notes": "Design notes updated",
    "follow_up_detail": "Follow-up details updated",
    "results_summary": "Results summary updated",
}
# How the history names a publication linked to a trial (TrialPublication's verbose name).
PUBLICATION = str(TrialPublication._meta.verbose_name).capitalize()
# How many recent snapshots of the matching trials to read, and entries to show.
SCAN = 200
ENTRIES = 30


@dataclass
class Entry:
    trial_id: int
    slug: str
    name: str  # the trial as published in this snapshot (acronym: title)
    when: datetime
    key: str  # unique and stable: the snapshot's id
    lines: list[str]

    @property
    def title(self) -> str:
        return f"{self.name}: {self.lines[0]}"

    @property
    def summary(self) -> str:
        return ". ".join(line.rstrip(".") for line in self.lines) + "."


def _public(fields: dict) -> dict:
    return {name: fields.get(name) for name in PUBLIC_FIELDS}


def summarise(old: history.Snapshot | None, new: history.Snapshot) -> list[str]:
    """Plain-words lines for the change from one published state to the next."""
    if old is None:
        lines = ["Newly published"]
        status = history._display(Trial, "status", new.trial.get("status"))
        return [*lines, f"Status: {status}"] if new.trial.get("status") else lines
    lines = []
    before, after = old.trial, new.trial
    if not before.get("has_results") and after.get("has_results"):
        lines.append("Results posted")
    elif before.get("has_results") and not after.get("has_results"):
        lines.append("Results no longer marked as posted")
    for change in history._field_changes(Trial, "Trial", _public(before), _public(after)):
        lines.append(f"{change.field[:1].upper()}{change.field[1:]}: {change.old} → {change.new}")
    lines += [text for name, text in TEXTS.items() if before.get(name) != after.get(name)]
    parts = history.diff(history.Snapshot({}, old.parts), history.Snapshot({}, new.parts))
    seen = set()
    for change in parts:
        if change.what in seen:
            continue
        seen.add(change.what)
        if change.new == "added" and change.what.startswith(PUBLICATION):
            lines.append(f"New publication: {_quoted(change.what)}")
        elif change.new == "added":
            lines.append(f"{change.what} added")
        elif change.old == "removed":
            lines.append(f"{change.what} removed")
        else:
            lines.append(f"{change.what} updated")
    return lines


def _quoted(what: str) -> str:
    return what.partition("“")[2].rstrip("”") or what


def _name(fields: dict) -> str:
    title, acronym = fields.get("title", ""), fields.get("acronym", "")
    return f"{acronym}: {title}" if acronym else title


def published_changes(matching) -> list[Entry]:
    """The newest entries for the trials in `matching` (the ids of published, filtered
    trials: browse.results.Results), newest first. Reads the newest versions first and stops
    after SCAN of matching trials, so no filter becomes a join."""
    versions = (
        Version.objects.get_for_model(Trial)
        .order_by("-revision__date_created", "-pk")
        .values_list("object_id", flat=True)
    )
    recent = []
    for object_id in versions.iterator(chunk_size=SCAN * 4):
        if int(object_id) in matching:
            recent.append(object_id)
            if len(recent) == SCAN:
                break
    trial_ids = sorted({int(pk) for pk in recent})
    slugs = dict(Trial.objects.filter(pk__in=trial_ids).values_list("pk", "slug"))
    entries = []
    for trial_id, versions in history.published_histories(trial_ids).items():
        previous = None
        for published in versions:
            lines = summarise(previous.snapshot if previous else None, published.snapshot)
            if published.republished:
                lines.insert(0, "Published again")
            if lines:
                entries.append(
                    Entry(
                        trial_id=trial_id,
                        slug=slugs[trial_id],
                        name=_name(published.snapshot.trial),
                        when=published.version.revision.date_created,
                        key=str(published.version.pk),
                        lines=lines,
                    )
                )
            previous = published
    entries.sort(key=lambda e: (e.when, e.key), reverse=True)
    return entries[:ENTRIES]
