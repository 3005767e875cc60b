"""Vocabulary terms (conditions, cell types, routes) and organisations: created, renamed,
re-slugged, moved in their tree or deleted. A term's name and place decide how trials are found
and counted (a filter by a parent includes its children), and an organisation's name is part of
each trial's search document, so every change reindexes the trials it touches and records a
history entry on each of them. Deleting something trials use is refused, naming the trials:
today's links are never dropped silently, and a later revert never meets a missing term.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from trials.models import CellType, Condition, Organisation, Route, Trial, Workflow
from trials.models.vocab import HierarchicalTerm, Term
from trials.services.index import trials_reindex
from trials.services.recording import _record

# How trials reach each vocabulary.
TRIALS_BY_TERM = {
    Condition: "conditions",
    CellType: "interventions__cell_type",
    Route: "interventions__routes",
}
NAMED_IN_REFUSAL = 5


def term_trial_ids(term: Term, *, with_descendants: bool = True) -> list[int]:
    """The trials that use this term (and, in a tree, any term below it)."""
    model = type(term)
    if with_descendants and isinstance(term, HierarchicalTerm):
        terms = model.objects.with_descendants([term.slug])
    else:
        terms = [term.pk]
    relation = TRIALS_BY_TERM[model]
    return sorted(
        set(Trial.objects.filter(**{f"{relation}__in": terms}).values_list("pk", flat=True))
    )


def organisation_trial_ids(organisation: Organisation) -> list[int]:
    return sorted(
        set(
            Trial.objects.filter(
                Q(sponsor=organisation) | Q(collaborators=organisation)
            ).values_list("pk", flat=True)
        )
    )


def _touch(trial_ids, *, user, reason: str) -> None:
    """Reindex the trials and record on each why it now reads differently. Not an edit of the
    trial: its own fields and links did not change, so open forms stay valid and a published
    trial does not go back to the reviewers."""
    # Trials awaiting review show their reviewed state, which may name this term, product or
    # organisation though the edit no longer does: reindex those few too.
    waiting = Trial.objects.filter(workflow=Workflow.PUBLISHED, edited_since_review=True)
    shown = set(trial_ids) | set(waiting.values_list("pk", flat=True))
    if not shown:
        return
    trials_reindex(trial_ids=sorted(shown))
    for trial in Trial.objects.filter(pk__in=trial_ids):
        _record(trial, user=user, reason=reason, edit=False)


def _named(trial_ids) -> str:
    trials = list(Trial.objects.filter(pk__in=trial_ids[:NAMED_IN_REFUSAL]))
    names = "; ".join(f"“{trial}”" for trial in trials)
    more = len(trial_ids) - len(trials)
    return names + (f" and {more} more" if more > 0 else "")


@transaction.atomic
def term_create(*, term: Term, user=None) -> Term:
    """Save a new term, e.g. `term_create(term=Condition(slug="nmosd", name="NMOSD"))`."""
    term.full_clean()
    term.save()
    return term  # no trial uses a new term yet: nothing to reindex


@transaction.atomic
def term_update(*, term: Term, user=None, reason: str = "", **fields) -> Term:
    """Rename, re-slug, describe or move a term (`parent=` another term or None). The trials
    that use it or a term below it are reindexed and get a history entry saying why."""
    model = type(term)
    before = model.objects.select_for_update().get(pk=term.pk)
    old = {name: getattr(before, name) for name in ("name", "slug")}
    old_parent = getattr(before, "parent", None)
    for name, value in fields.items():
        setattr(term, name, value)
    term.full_clean()
    term.save()
    # Compared with the row as it was, so a caller that set the new values on `term` itself
    # (the admin's form does) is treated the same as one that passed them here.
    changes = [
        f"{label} “{old[name]}” → “{getattr(term, name)}”"
        for name, label in (("name", "renamed"), ("slug", "slug"))
        if old[name] != getattr(term, name)
    ]
    if isinstance(term, HierarchicalTerm) and old_parent != term.parent:
        changes.append(f"moved from “{old_parent or 'the top'}” to “{term.parent or 'the top'}”")
    if changes:
        what = model._meta.verbose_name.capitalize()
        _touch(
            term_trial_ids(term),
            user=user,
            reason=reason or f"{what} “{old['name']}” {', '.join(changes)}",
        )
    return term


def term_delete_refusal(term: Term) -> str:
    """Why this term cannot be deleted now, or "" if it can."""
    what = type(term)._meta.verbose_name
    used_by = term_trial_ids(term, with_descendants=False)
    if used_by:
        return (
            f"The {what} “{term}” cannot be deleted: {len(used_by)} trial(s) use it "
            f"({_named(used_by)}). Change those trials first."
        )
    if isinstance(term, HierarchicalTerm) and term.children.exists():
        narrower = ", ".join(f"“{child}”" for child in term.children.all())
        return (
            f"The {what} “{term}” cannot be deleted: narrower terms sit under it ({narrower}). "
            "Move or delete them first."
        )
    return ""


@transaction.atomic
def term_delete(*, term: Term, user=None) -> None:
    """Delete a term no trial uses. Refused (ValidationError naming the trials, or the narrower
    terms) otherwise: curators first move those trials to another term."""
    refusal = term_delete_refusal(term)
    if refusal:
        raise ValidationError(refusal, code="in_use")
    term.delete()


@transaction.atomic
def organisation_create(*, organisation: Organisation, user=None) -> Organisation:
    organisation.full_clean()
    organisation.save()
    return organisation


@transaction.atomic
def organisation_update(
    *, organisation: Organisation, user=None, reason: str = "", **fields
) -> Organisation:
    """Rename an organisation or change its country or website; the trials it sponsors or
    collaborates on are reindexed (their search document holds its name) when the name
    changes, with a history entry each."""
    old_name = Organisation.objects.select_for_update().get(pk=organisation.pk).name
    for name, value in fields.items():
        setattr(organisation, name, value)
    organisation.full_clean()
    organisation.save()
    if organisation.name != old_name:
        _touch(
            organisation_trial_ids(organisation),
            user=user,
            reason=reason or f"Organisation “{old_name}” renamed “{organisation.name}”",
        )
    return organisation


def organisation_delete_refusal(organisation: Organisation) -> str:
    """Why this organisation cannot be deleted now, or "" if it can."""
    used_by = organisation_trial_ids(organisation)
    if not used_by:
        return ""
    return (
        f"The organisation “{organisation}” cannot be deleted: {len(used_by)} trial(s) name "
        f"it as sponsor or collaborator ({_named(used_by)}). Change those trials first."
    )


@transaction.atomic
def organisation_delete(*, organisation: Organisation, user=None) -> None:
    """Delete an organisation no trial names as sponsor or collaborator; refused otherwise,
    naming the trials, so a trial never loses its sponsor silently and search never goes
    stale."""
    refusal = organisation_delete_refusal(organisation)
    if refusal:
        raise ValidationError(refusal, code="in_use")
    organisation.delete()
