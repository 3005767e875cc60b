"""Writes of the record: a trial, its parts, organisations and publications.

Functions are keyword-only, atomic and validate with `full_clean()` before saving, so a bad value
raises ValidationError (with the field named) and writes nothing.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from trials.models import (
    CellType,
    Condition,
    Intervention,
    Organisation,
    Outcome,
    Publication,
    RegistryId,
    Route,
    Site,
    Source,
    Trial,
    TrialPublication,
)
from trials.services.index import browse_index_changed
from trials.services.recording import (
    _record,
    _reindex,
    change_record,
    trial_claim_version,
)

# Rules every edit of a trial must meet beyond its model's own checks, whoever makes it: the
# services below and the admin's trial form (curation.forms) both run trial_check_rules, so a
# rule added here applies to admin edits without touching the admin. Each rule takes the trial
# and raises ValidationError naming the field to fix.
TRIAL_RULES: list[Callable[[Trial], None]] = []

# Slugs that name a public page under /trials/ (the Atom feed): a trial given one would be
# shadowed by that page.
RESERVED_SLUGS = {"feed"}


def _slug_not_reserved(trial: Trial) -> None:
    if trial.slug in RESERVED_SLUGS:
        raise ValidationError({"slug": f"“{trial.slug}” is taken by a page of the site."})


TRIAL_RULES.append(_slug_not_reserved)


def trial_check_rules(trial: Trial) -> None:
    errors: dict = {}
    for rule in TRIAL_RULES:
        try:
            rule(trial)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def trial_validate(trial: Trial) -> None:
    """The model's checks (fields, constraints) and then TRIAL_RULES."""
    trial.full_clean()
    trial_check_rules(trial)


def _unique_slug(base: str) -> str:
    base = slugify(base)[:90] or "trial"
    slug, n = base, 2
    while slug in RESERVED_SLUGS or Trial.objects.filter(slug=slug).exists():
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
    trial_validate(trial)
    trial.save()
    trial.conditions.set(_terms(Condition, conditions))
    trial.collaborators.set(list(collaborators))
    _reindex(trial)
    _record(trial, user=user or created_by, reason=reason, edit=False)
    return trial


# Fields that only say when a fact was last confirmed. A change to them alone (the registry
# re-verified a status that did not change, every month or so) is recorded in history but does
# not put a published trial in the reviewers' queue: nothing the public reads changed meaning.
CONFIRMATION_FIELDS = {"status_checked", "status_checked_precision", "status_source"}


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
    changed meanwhile raises StaleEditError and nothing is written.

    The row is locked (select_for_update) and read afresh, and only the columns whose value
    changes are saved: the caller's copy may be stale, and saving every column from it undid a
    reviewer's concurrent withdrawal or another curator's version-checked edit (issue 11)."""
    if expected_version is not None:
        trial_claim_version(trial=trial, expected_version=expected_version)
    locked = Trial.objects.select_for_update().get(pk=trial.pk)
    changed = []
    for name, value in fields.items():
        field = Trial._meta.get_field(name)
        if getattr(locked, field.attname if field.is_relation else name) != (
            value.pk if field.is_relation and value is not None else value
        ):
            changed.append(name)
        setattr(locked, name, value)
    trial_validate(locked)
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])
    # The caller's copy now holds the row as saved.
    for model_field in Trial._meta.concrete_fields:
        setattr(trial, model_field.attname, getattr(locked, model_field.attname))
    _reindex(trial)
    # A claimed version is already the next one: one edit, one step.
    review = not changed or not set(changed) <= CONFIRMATION_FIELDS
    _record(trial, user=user, reason=reason, bump=expected_version is None, review=review)
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


@transaction.atomic
def trials_delete(*, queryset) -> int:
    """Delete trials (their parts and index rows cascade) and let the public pages know."""
    ids = list(queryset.values_list("pk", flat=True))
    queryset.delete()
    browse_index_changed(trial_ids=ids)
    return len(ids)


def publication_fill_empty(*, publication: Publication, values: dict) -> list[str]:
    """Fill a publication's empty fields from `values` (e.g. PubMed's summary); a field that
    holds a value, curated or not, is never overwritten. A value that fails validation (a DOI
    another publication already has) is left out. Returns the fields filled."""
    filled = [
        name
        for name, value in values.items()
        if value not in ("", None) and getattr(publication, name) in ("", None)
    ]
    for name in filled:
        setattr(publication, name, values[name])
    publication.clean()
    others = Publication.objects.exclude(pk=publication.pk)
    if "doi" in filled and others.filter(doi=publication.doi).exists():
        publication.doi = ""  # one paper, one row: a curator merges the two
        filled.remove("doi")
    while filled:
        try:
            publication.full_clean()
            break
        except ValidationError as error:
            refused = [name for name in error.message_dict if name in filled]
            if not refused:
                raise
            for name in refused:
                setattr(publication, name, Publication._meta.get_field(name).get_default())
                filled.remove(name)
    if filled:
        publication.save(update_fields=filled)
    return filled
