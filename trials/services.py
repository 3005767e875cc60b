"""Every write to a trial goes through here: the admin, commands, importers and tests.

Functions are keyword-only, atomic and validate with `full_clean()` before saving, so a bad value
raises ValidationError (with the field named) and writes nothing.
"""

import uuid
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import date
from typing import Any

import reversion
from django.contrib.postgres.search import SearchVector
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Prefetch
from django.utils import timezone
from django.utils.text import slugify

from trials import history
from trials.completeness import has_peer_reviewed_publication
from trials.models import (
    BrowseIndexState,
    CellType,
    Condition,
    FacetValue,
    Intervention,
    Organisation,
    Outcome,
    Phase,
    ProblemReport,
    Publication,
    RegistryId,
    ReportStatus,
    Route,
    Site,
    Source,
    Trial,
    TrialPublication,
    Workflow,
    WorkflowAction,
    WorkflowEvent,
)

PUBLISH_PERMISSION = "trials.publish_trial"


# History and optimistic locking. Every write below ends in _record: one revision holding the
# trial and all its parts, with who and why. Writes nested in an outer `change_record()` (an
# importer creating a trial and its arms, an admin save) join that one revision.
def change_record(*, user=None, reason: str = ""):
    """Group the writes inside into one history entry (and one transaction) with this user
    and reason; used by the admin, importers and management commands."""
    return _RecordScope(user, reason)


# Inside a scope, reindexing and snapshots wait for its end: an importer adding a trial with
# twenty parts then indexes and snapshots it once, not twenty times (restoring 300 trials went
# from 33.6 s to 17.5 s, medians of 3). The outermost scope holds the trials still to do.
_deferred: ContextVar[set | None] = ContextVar("trials_deferred_writes", default=None)


class _RecordScope:
    def __init__(self, user, reason):
        self.user, self.reason = user, reason
        self._revision = reversion.create_revision()
        self._token = None

    def __enter__(self):
        self._revision.__enter__()
        if self.user is not None:
            reversion.set_user(self.user)
        if self.reason:
            reversion.set_comment(self.reason)
        if _deferred.get() is None:
            self._token = _deferred.set(set())

    def __exit__(self, exc_type, *exc_info):
        if self._token is not None:
            pending = _deferred.get()
            _deferred.reset(self._token)
            if exc_type is None and pending:
                try:
                    trials_reindex(trial_ids=sorted(pending))
                    for trial in Trial.objects.filter(pk__in=pending):
                        reversion.add_to_revision(trial)
                except BaseException as error:
                    self._revision.__exit__(type(error), error, error.__traceback__)
                    raise
        return self._revision.__exit__(exc_type, *exc_info)


def _reindex(trial: Trial) -> None:
    """Reindex now, or at the end of the current change_record() scope."""
    pending = _deferred.get()
    if pending is None:
        trials_reindex(trial_ids=[trial.pk])
    else:
        pending.add(trial.pk)


def _record(trial: Trial, *, user=None, reason: str, edit: bool = True, bump: bool = True) -> None:
    """Snapshot the trial and its parts into the current (or a new) revision. An `edit` bumps
    the version (so open forms based on the old one are refused; `bump=False` when the caller
    already claimed it) and, on a published trial, puts it in the reviewers' queue."""
    if edit:
        if bump:
            Trial.objects.filter(pk=trial.pk).update(
                version=F("version") + 1, updated_at=timezone.now()
            )
        Trial.objects.filter(pk=trial.pk, workflow=Workflow.PUBLISHED).update(
            edited_since_review=True
        )
        trial.refresh_from_db(fields=["version", "edited_since_review", "updated_at"])
    with reversion.create_revision():
        if user is not None and reversion.get_user() is None:
            reversion.set_user(user)
        if not reversion.get_comment():
            reversion.set_comment(reason)
        pending = _deferred.get()
        if pending is not None:
            pending.add(trial.pk)  # snapshotted once, when the scope ends
        else:
            # A fresh instance: the caller's may hold parts prefetched before this change
            # (the admin's does), and the snapshot follows the parts through those caches.
            reversion.add_to_revision(Trial.objects.get(pk=trial.pk))


def trial_snapshot(*, trial: Trial, user=None, reason: str) -> None:
    """Record the trial as it is now, without counting it as an edit (e.g. after a restore
    wrote back its bookkeeping fields)."""
    _record(trial, user=user, reason=reason, edit=False)


def trial_changed(*, trial: Trial, user, reason: str, created: bool, claimed: bool) -> None:
    """After the admin saved a trial and its inlines itself: reindex and record the change
    (`claimed`: the admin already took the new version with trial_claim_version)."""
    _reindex(trial)
    _record(trial, user=user, reason=reason, edit=not created, bump=not claimed)


class StaleEditError(ValidationError):
    """Someone saved the trial after this edit began; saving would overwrite their work."""

    def __init__(self, *, trial: Trial, expected_version: int):
        self.trial = trial
        self.changes = history.changes_since(trial, expected_version)
        latest = history.trial_versions(trial).select_related("revision__user").first()
        who = ""
        if latest is not None:
            user = latest.revision.user
            when = timezone.localtime(latest.revision.date_created).strftime("%d %b %Y %H:%M")
            who = f" ({user.get_username() if user else 'system'}, {when})"
        super().__init__(
            f"Someone else saved this trial while you were editing it{who}. Your changes "
            "have not been saved: they are still in this form. Open the trial in a new tab "
            "to see the current version, then make your changes there again.",
            code="stale",
        )


# Fields only workflow steps write; edits of the record never carry them.
CURATION_FIELDS = [
    "workflow",
    "published_at",
    "reviewed_by",
    "created_by",
    "last_verified",
    "edited_since_review",
]


def trial_claim_version(*, trial: Trial, expected_version: int) -> None:
    """Take the next version of the trial if nobody moved it past `expected_version`, in one
    conditional UPDATE, so two saves of the same version cannot both succeed."""
    claimed = Trial.objects.filter(pk=trial.pk, version=expected_version).update(
        version=expected_version + 1
    )
    if not claimed:
        raise StaleEditError(trial=trial, expected_version=expected_version)
    trial.version = expected_version + 1
    # The caller's copy was read before the claim. Workflow steps do not move the version,
    # so take their fields from the row as it is now: a save of this copy must not undo a
    # publish or withdrawal made meanwhile.
    trial.refresh_from_db(fields=CURATION_FIELDS)


def trial_check_version(*, trial: Trial, expected_version: int) -> None:
    """Refuse early (before validation of a form completes) when the trial moved on; on
    PostgreSQL the row stays locked until the transaction ends, so the claim that follows
    cannot fail."""
    current = (
        Trial.objects.select_for_update()
        .filter(pk=trial.pk)
        .values_list("version", flat=True)
        .first()
    )
    if current != expected_version:
        raise StaleEditError(trial=trial, expected_version=expected_version)


def _unique_slug(base: str) -> str:
    base = slugify(base)[:90] or "trial"
    slug, n = base, 2
    while Trial.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _terms(model, slugs: Iterable[str]):
    slugs = list(slugs)
    terms = list(model.objects.filter(slug__in=slugs))
    missing = sorted(set(slugs) - {term.slug for term in terms})
    if missing:
        raise ValidationError(f"Unknown {model._meta.verbose_name} slug(s): {', '.join(missing)}")
    return terms


@transaction.atomic
def organisation_get_or_create(*, name: str, country: str = "", website: str = "") -> Organisation:
    organisation = Organisation.objects.filter(name=name).first()
    if organisation is None:
        organisation = Organisation(name=name, country=country, website=website)
        organisation.full_clean()
        organisation.save()
    return organisation


@transaction.atomic
def trial_create(
    *,
    title: str,
    conditions: Iterable[str] = (),
    sponsor: Organisation | None = None,
    collaborators: Iterable[Organisation] = (),
    created_by=None,
    slug: str = "",
    user=None,
    reason: str = "Created",
    **fields: Any,
) -> Trial:
    """Create a trial as a draft (unless `workflow` says otherwise, e.g. for imports of backups)."""
    trial = Trial(
        title=title,
        slug=slug or _unique_slug(fields.get("acronym") or title),
        sponsor=sponsor,
        created_by=created_by,
        **fields,
    )
    trial.full_clean()
    trial.save()
    trial.conditions.set(_terms(Condition, conditions))
    trial.collaborators.set(list(collaborators))
    _reindex(trial)
    _record(trial, user=user or created_by, reason=reason, edit=False)
    return trial


@transaction.atomic
def trial_update(
    *,
    trial: Trial,
    expected_version: int | None = None,
    user=None,
    reason: str = "Edited",
    **fields: Any,
) -> Trial:
    """Change plain fields of a trial, validated, and keep its search document current.
    With `expected_version` (the version the change was based on), a trial that someone else
    changed meanwhile raises StaleEditError and nothing is written."""
    if expected_version is not None:
        trial_claim_version(trial=trial, expected_version=expected_version)
    else:
        trial.refresh_from_db(fields=[f for f in CURATION_FIELDS if f not in fields])
    for name, value in fields.items():
        setattr(trial, name, value)
    trial.full_clean()
    trial.save()
    _reindex(trial)
    # A claimed version is already the next one: one edit, one step.
    _record(trial, user=user, reason=reason, bump=expected_version is None)
    return trial


@transaction.atomic
def registry_id_add(
    *, trial: Trial, registry: str, identifier: str, user=None, reason: str = ""
) -> RegistryId:
    registry_id = RegistryId(trial=trial, registry=registry, identifier=identifier)
    registry_id.full_clean()
    registry_id.save()
    _reindex(trial)
    _record(trial, user=user, reason=reason or f"Registry id {identifier} added")
    return registry_id


@transaction.atomic
def intervention_add(
    *,
    trial: Trial,
    label: str,
    cell_type: str | None = None,
    routes: Iterable[str] = (),
    user=None,
    reason: str = "",
    **fields,
) -> Intervention:
    intervention = Intervention(
        trial=trial,
        label=label,
        cell_type=_terms(CellType, [cell_type])[0] if cell_type else None,
        position=trial.interventions.count(),
        **fields,
    )
    intervention.full_clean()
    intervention.save()
    intervention.routes.set(_terms(Route, routes))
    _reindex(trial)
    _record(trial, user=user, reason=reason or f"Arm “{label}” added")
    return intervention


@transaction.atomic
def outcome_add(*, trial: Trial, measure: str, user=None, reason: str = "", **fields) -> Outcome:
    outcome = Outcome(trial=trial, measure=measure, position=trial.outcomes.count(), **fields)
    outcome.full_clean()
    outcome.save()
    _record(trial, user=user, reason=reason or "Outcome added")
    return outcome


@transaction.atomic
def site_add(
    *, trial: Trial, country: str, name: str = "", city: str = "", user=None, reason: str = ""
) -> Site:
    site = Site(trial=trial, country=country, name=name, city=city)
    site.full_clean()
    site.save()
    _reindex(trial)
    _record(trial, user=user, reason=reason or "Site added")
    return site


@transaction.atomic
def source_add(
    *, trial: Trial, title: str, url: str, user=None, reason: str = "", **fields
) -> Source:
    source = Source(trial=trial, title=title, url=url, **fields)
    source.full_clean()
    source.save()
    _record(trial, user=user, reason=reason or "Source added")
    return source


@transaction.atomic
def publication_get_or_create(
    *, title: str, doi: str = "", pmid: str = "", **fields
) -> Publication:
    """Find a publication by DOI, then PMID; otherwise create it. One paper, one row."""
    candidate = Publication(title=title, doi=doi, pmid=pmid, **fields)
    candidate.clean()  # normalises the DOI before we look it up
    existing = None
    if candidate.doi:
        existing = Publication.objects.filter(doi=candidate.doi).first()
    if existing is None and candidate.pmid:
        existing = Publication.objects.filter(pmid=candidate.pmid).first()
    if existing is None and not (candidate.doi or candidate.pmid):
        # No identifier (e.g. a paper whose DOI is not verified yet): same title, journal, year.
        existing = Publication.objects.filter(
            title=candidate.title,
            journal=candidate.journal,
            year=candidate.year,
            authors=candidate.authors,
            doi="",
            pmid="",
        ).first()
    if existing is not None:
        return existing
    candidate.full_clean()
    candidate.save()
    return candidate


@transaction.atomic
def publication_link(
    *, trial: Trial, publication: Publication, role: str, user=None, reason: str = ""
) -> TrialPublication:
    link, created = TrialPublication.objects.get_or_create(
        trial=trial, publication=publication, defaults={"role": role}
    )
    if created:
        _reindex(trial)  # the has_publication facet (trials/completeness.py) may change
        _record(trial, user=user, reason=reason or "Publication linked")
    return link


@transaction.atomic
def trial_replace_parts(
    *,
    trial: Trial,
    user=None,
    reason: str = "",
    conditions: Iterable[str] | None = None,
    sponsor: str | None = None,
    collaborators: Iterable[str] | None = None,
    registry_ids: Iterable[tuple[str, str]] | None = None,
    arms: Iterable[dict] | None = None,
    outcomes: Iterable[dict] | None = None,
    sites: Iterable[dict] | None = None,
) -> Trial:
    """Replace whole groups of a trial's parts (those given; None leaves a group alone), e.g.
    with a registry's new list of sites. Sponsor and collaborators are given by name."""
    with change_record(user=user, reason=reason or "Parts replaced"):
        if conditions is not None:
            trial.conditions.set(_terms(Condition, conditions))
        if collaborators is not None:
            trial.collaborators.set(
                [organisation_get_or_create(name=name) for name in collaborators]
            )
        if sponsor is not None:
            trial.sponsor = organisation_get_or_create(name=sponsor) if sponsor else None
            trial.save(update_fields=["sponsor", "updated_at"])
        if registry_ids is not None:
            trial.registry_ids.all().delete()
            for registry, identifier in registry_ids:
                registry_id_add(trial=trial, registry=registry, identifier=identifier)
        if arms is not None:
            trial.interventions.all().delete()
            for arm in arms:
                intervention_add(trial=trial, **arm)
        if outcomes is not None:
            trial.outcomes.all().delete()
            for outcome in outcomes:
                outcome_add(trial=trial, **outcome)
        if sites is not None:
            trial.sites.all().delete()
            for site in sites:
                site_add(trial=trial, **site)
        _reindex(trial)
        _record(trial, user=user, reason=reason or "Parts replaced")
    return trial


# The browse index (search document + facet rows). Every service that changes a trial or its
# parts calls trials_reindex; the admin calls it after saving a trial with its inlines.
def _with_ancestors(term, terms_by_id) -> list:
    chain = []
    while term is not None and term not in chain:  # a cycle must never hang a save
        chain.append(term)
        term = terms_by_id.get(term.parent_id)
    return chain


def _search_document(trial: Trial, conditions: dict, cell_types: dict) -> str:
    parts: list[str] = [trial.title, trial.acronym]
    parts += [registry_id.identifier for registry_id in trial.registry_ids.all()]
    for condition in trial.conditions.all():
        parts += [term.name for term in _with_ancestors(conditions.get(condition.pk), conditions)]
    for arm in trial.interventions.all():
        parts += [arm.label, arm.description, arm.co_treatment]
        if arm.cell_type_id:
            cell_chain = _with_ancestors(cell_types.get(arm.cell_type_id), cell_types)
            parts += [term.name for term in cell_chain]
        parts += [route.name for route in arm.routes.all()]
    if trial.sponsor:
        parts.append(trial.sponsor.name)
    parts += [organisation.name for organisation in trial.collaborators.all()]
    parts += [trial.summary, trial.participants, trial.results_summary]
    return "\n".join(part for part in parts if part)


def _facet_rows(trial: Trial, conditions: dict, cell_types: dict) -> set[tuple[str, str]]:
    rows: set[tuple[str, str]] = {
        ("listing", trial.listing_type),
        ("has_results", "yes" if trial.has_results else "no"),
        (
            "has_publication",
            "yes" if has_peer_reviewed_publication(trial.trialpublication_set.all()) else "no",
        ),
    }
    if trial.phase:
        # A phase 1/2 trial is found by phase 1 and by phase 2 (VOCABULARY.md).
        rows |= {("phase", code) for code in Phase.values if trial.phase in Phase.matching(code)}
    if trial.status:
        rows.add(("status", trial.status))
    for condition in trial.conditions.all():
        chain = _with_ancestors(conditions.get(condition.pk), conditions)
        rows |= {("condition", term.slug) for term in chain}
    for arm in trial.interventions.all():
        if arm.cell_type_id:
            chain = _with_ancestors(cell_types.get(arm.cell_type_id), cell_types)
            rows |= {("cell_type", term.slug) for term in chain}
        if arm.origin:
            rows.add(("origin", arm.origin))
        rows |= {("route", route.slug) for route in arm.routes.all()}
    rows |= {("country", site.country.code) for site in trial.sites.all()}
    return rows


@transaction.atomic
def trials_reindex(*, trial_ids: Iterable[int]) -> None:
    """Rebuild the search document (on PostgreSQL also the weighted tsvector) and the facet
    rows of these trials. Works in bulk (the synthetic seeder reindexes thousands at once) and
    leaves `updated_at` alone: reindexing is not an edit."""
    ids = list(trial_ids)
    conditions = {term.pk: term for term in Condition.objects.all()}
    cell_types = {term.pk: term for term in CellType.objects.all()}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        # Lock the rows (in id order, so two reindexes cannot deadlock) so that concurrent
        # reindexes of the same trial run one after the other instead of colliding.
        list(Trial.objects.select_for_update().filter(pk__in=chunk).order_by("pk").values("pk"))
        trials = list(
            Trial.objects.filter(pk__in=chunk)
            .select_related("sponsor")
            .prefetch_related(
                "conditions",
                "registry_ids",
                "collaborators",
                "sites",
                Prefetch("interventions", queryset=Intervention.objects.prefetch_related("routes")),
                Prefetch(
                    "trialpublication_set",
                    queryset=TrialPublication.objects.select_related("publication"),
                ),
            )
        )
        facet_rows = []
        for trial in trials:
            trial.search_text = _search_document(trial, conditions, cell_types)
            if trial.workflow == Workflow.PUBLISHED:
                facet_rows += [
                    FacetValue(trial_id=trial.pk, facet=facet, value=value)
                    for facet, value in sorted(_facet_rows(trial, conditions, cell_types))
                ]
        Trial.objects.bulk_update(trials, ["search_text"])
        FacetValue.objects.filter(trial_id__in=chunk).delete()
        FacetValue.objects.bulk_create(facet_rows, batch_size=2000)
        if connection.vendor == "postgresql":
            Trial.objects.filter(pk__in=chunk).update(
                search_vector=SearchVector("title", "acronym", weight="A", config="english")
                + SearchVector("search_text", weight="B", config="english")
            )
    browse_index_changed()


def browse_index_changed() -> None:
    """Tell every web process that its in-memory copy of the browse index is out of date
    (after a reindex, and after trials are deleted: their rows go with them)."""
    if not BrowseIndexState.objects.filter(pk=1).update(token=uuid.uuid4().hex):
        BrowseIndexState.objects.create(pk=1, token=uuid.uuid4().hex)


@transaction.atomic
def trials_delete(*, queryset) -> int:
    """Delete trials (their parts and index rows cascade) and let the public pages know."""
    count = queryset.count()
    queryset.delete()
    browse_index_changed()
    return count


# Workflow: draft → in review → published → withdrawn. Curators submit; only reviewers (the
# publish_trial permission, checked here on the server) publish, send back or withdraw.
TRANSITIONS = {
    # action: (allowed from, to, needs publish permission)
    "submit": ({Workflow.DRAFT}, Workflow.IN_REVIEW, False),
    "publish": ({Workflow.IN_REVIEW, Workflow.DRAFT, Workflow.WITHDRAWN}, Workflow.PUBLISHED, True),
    "send_back": ({Workflow.IN_REVIEW}, Workflow.DRAFT, True),
    "withdraw": ({Workflow.PUBLISHED}, Workflow.WITHDRAWN, True),
}


PAST_TENSE = {
    "submit": "submitted for review",
    "publish": "published",
    "send_back": "sent back to draft",
    "withdraw": "withdrawn",
}


class TransitionError(ValidationError):
    pass


def _require(user, *, publish: bool = False) -> None:
    if user is None:  # management commands and data migrations act as the system
        return
    if not user.has_perm("trials.change_trial"):
        raise PermissionDenied("You cannot change trials.")
    if publish and not user.has_perm(PUBLISH_PERMISSION):
        raise PermissionDenied("Only reviewers can publish, send back, withdraw or approve.")


def _event(trial: Trial, action: str, user, comment: str, from_state: str) -> WorkflowEvent:
    event = WorkflowEvent(
        trial=trial,
        action=action,
        from_state=from_state,
        to_state=trial.workflow,
        user=user,
        comment=comment.strip(),
    )
    event.full_clean()
    event.save()
    return event


@transaction.atomic
def trial_transition(*, trial: Trial, action: str, user, comment: str = "") -> Trial:
    """Move a trial through the workflow, checking the user's permission on the server.
    Sending back needs a comment: the curator must know what to fix."""
    allowed_from, target, needs_publish = TRANSITIONS[action]
    _require(user, publish=needs_publish)
    if action == "send_back" and not comment.strip():
        raise TransitionError("Say what needs fixing when you send a trial back.")
    trial = Trial.objects.select_for_update().get(pk=trial.pk)
    if trial.workflow not in allowed_from:
        raise TransitionError(
            f"“{trial}” is {trial.get_workflow_display().lower()}, so it cannot be "
            f"{PAST_TENSE[action]}."
        )
    from_state = trial.workflow
    trial.workflow = target
    if target == Workflow.PUBLISHED:
        trial.published_at = timezone.now()
        trial.reviewed_by = user
        trial.edited_since_review = False
    trial.save(
        update_fields=[
            "workflow",
            "published_at",
            "reviewed_by",
            "edited_since_review",
            "updated_at",
        ]
    )
    _event(trial, action, user, comment, from_state)
    _reindex(trial)  # only published trials are in the browse index
    reason = PAST_TENSE[action].capitalize() + (f": {comment.strip()}" if comment.strip() else "")
    # Not an edit: a curator's open form stays valid (workflow fields are not in it).
    _record(trial, user=user, reason=reason, edit=False)
    return trial


def trial_submit(*, trial: Trial, user, comment: str = "") -> Trial:
    return trial_transition(trial=trial, action="submit", user=user, comment=comment)


def trial_publish(*, trial: Trial, user, comment: str = "") -> Trial:
    return trial_transition(trial=trial, action="publish", user=user, comment=comment)


def trial_withdraw(*, trial: Trial, user, comment: str = "") -> Trial:
    return trial_transition(trial=trial, action="withdraw", user=user, comment=comment)


def trial_send_back(*, trial: Trial, user, comment: str = "") -> Trial:
    return trial_transition(trial=trial, action="send_back", user=user, comment=comment)


@transaction.atomic
def trial_approve_edits(*, trial: Trial, user, comment: str = "") -> Trial:
    """A reviewer has checked the edits made to a published trial: it leaves the queue."""
    _require(user, publish=True)
    trial = Trial.objects.select_for_update().get(pk=trial.pk)
    if trial.workflow != Workflow.PUBLISHED or not trial.edited_since_review:
        raise TransitionError(f"“{trial}” has no edits waiting for review.")
    trial.edited_since_review = False
    trial.reviewed_by = user
    trial.save(update_fields=["edited_since_review", "reviewed_by", "updated_at"])
    _event(trial, WorkflowAction.APPROVE_EDITS, user, comment, trial.workflow)
    reason = "Edits approved" + (f": {comment.strip()}" if comment.strip() else "")
    _record(trial, user=user, reason=reason, edit=False)
    return trial


@transaction.atomic
def trial_mark_verified(*, trial: Trial, user, on: date | None = None, comment: str = "") -> Trial:
    """A curator checked the record against its sources today."""
    _require(user)
    trial = Trial.objects.select_for_update().get(pk=trial.pk)
    trial.last_verified = on or timezone.localdate()
    trial.save(update_fields=["last_verified", "updated_at"])
    _event(trial, WorkflowAction.VERIFY, user, comment, trial.workflow)
    reason = "Marked verified" + (f": {comment.strip()}" if comment.strip() else "")
    _record(trial, user=user, reason=reason, edit=False)
    return trial


@transaction.atomic
def trial_revert(*, trial: Trial, revision_id: int, user, reason: str) -> Trial:
    """Bring the trial and its parts back to what they were in one of its revisions: fields,
    arms, outcomes, ids, sites, sources and publication links (parts added since are removed).
    The workflow state is not rolled back: reverting is an edit like any other, recorded with
    its reason, and on a published trial it goes to the reviewers' queue."""
    _require(user)
    if not reason.strip():
        raise ValidationError("Give a reason for reverting.")
    current = Trial.objects.select_for_update().get(pk=trial.pk)
    version = history.trial_versions(current).filter(revision_id=revision_id).first()
    if version is None:
        raise ValidationError("That version does not belong to this trial.")
    keep = {
        name: getattr(current, name)
        for name in (
            "workflow",
            "published_at",
            "reviewed_by_id",
            "created_by_id",
            "last_verified",
            "edited_since_review",
            "version",
        )
    }
    # Revert only this trial's objects, even if the revision also holds other trials (a bulk
    # action): other trials must not move.
    versions = [
        v
        for v in version.revision.version_set.select_related("content_type")
        if v.pk == version.pk
        or (
            v.content_type.model_class() in history.PARTS.values()
            and str(v.field_dict.get("trial_id")) == version.object_id
        )
    ]
    wanted = {(v.content_type.model_class(), v.object_id) for v in versions}
    for related_name, model in history.PARTS.items():
        for part in getattr(current, related_name).all():
            if (model, str(part.pk)) not in wanted:
                part.delete()
    try:
        with transaction.atomic():  # a savepoint: a clash leaves the trial as it was
            for v in sorted(versions, key=lambda v: v.pk != version.pk):  # the trial first
                v.revert()
    except IntegrityError as error:
        raise ValidationError(
            "That version cannot be restored: something in it is now used elsewhere (for "
            "example its slug or a registry id belongs to another trial). Change that first. "
            f"({error})"
        ) from error
    Trial.objects.filter(pk=current.pk).update(**keep)
    current.refresh_from_db()
    trials_reindex(trial_ids=[current.pk])
    when = timezone.localtime(version.revision.date_created).strftime("%d %b %Y %H:%M")
    _record(current, user=user, reason=f"Reverted to the version of {when}: {reason.strip()}")
    _event(current, WorkflowAction.REVERT, user, reason, current.workflow)
    return current


# Public problem reports: the public form and the admin's queue call these.

REPORT_PERMISSION = "trials.change_problemreport"


@transaction.atomic
def problem_report_create(*, trial: Trial, message: str, contact: str = "") -> ProblemReport:
    """Record a member of the public's report on a published trial. Spam checks (honeypot,
    rate limit, markup, links) belong to the public form; this keeps the database's rules."""
    if trial.workflow != Workflow.PUBLISHED:
        raise ValidationError("Problems can only be reported on published trials.")
    report = ProblemReport(trial=trial, message=message, contact=contact)
    report.full_clean()
    report.save()
    return report


@transaction.atomic
def problem_report_handle(
    *, report: ProblemReport, status: str, user, curator_note: str | None = None
) -> ProblemReport:
    """Close a report as fixed or dismissed, or reopen it, recording who did it and when.
    Setting the status a report already has keeps its original who and when."""
    if not user.has_perm(REPORT_PERMISSION):
        raise PermissionDenied("You cannot handle problem reports.")
    report = ProblemReport.objects.select_for_update().get(pk=report.pk)
    if status != report.status:
        report.status = status
        if status == ReportStatus.OPEN:
            report.handled_by, report.handled_at = None, None
        else:
            report.handled_by, report.handled_at = user, timezone.now()
    if curator_note is not None:
        report.curator_note = curator_note
    report.full_clean()
    report.save()
    return report


def problem_report_mark_fixed(*, report: ProblemReport, user) -> ProblemReport:
    return problem_report_handle(report=report, status=ReportStatus.FIXED, user=user)


def problem_report_dismiss(*, report: ProblemReport, user) -> ProblemReport:
    return problem_report_handle(report=report, status=ReportStatus.DISMISSED, user=user)
