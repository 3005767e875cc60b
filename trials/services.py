"""Every write to a trial goes through here: the admin, commands, importers and tests.

Functions are keyword-only, atomic and validate with `full_clean()` before saving, so a bad value
raises ValidationError (with the field named) and writes nothing.
"""

import uuid
from collections.abc import Iterable
from typing import Any

from django.contrib.postgres.search import SearchVector
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.text import slugify

from trials.models import (
    BrowseIndexState,
    CellType,
    Condition,
    FacetValue,
    Intervention,
    Organisation,
    Outcome,
    Phase,
    Publication,
    RegistryId,
    Route,
    Site,
    Source,
    Trial,
    TrialPublication,
    Workflow,
)

PUBLISH_PERMISSION = "trials.publish_trial"


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
    trials_reindex(trial_ids=[trial.pk])
    return trial


@transaction.atomic
def trial_update(*, trial: Trial, **fields: Any) -> Trial:
    """Change plain fields of a trial, validated, and keep its search document current."""
    for name, value in fields.items():
        setattr(trial, name, value)
    trial.full_clean()
    trial.save()
    trials_reindex(trial_ids=[trial.pk])
    return trial


@transaction.atomic
def registry_id_add(*, trial: Trial, registry: str, identifier: str) -> RegistryId:
    registry_id = RegistryId(trial=trial, registry=registry, identifier=identifier)
    registry_id.full_clean()
    registry_id.save()
    trials_reindex(trial_ids=[trial.pk])
    return registry_id


@transaction.atomic
def intervention_add(
    *, trial: Trial, label: str, cell_type: str | None = None, routes: Iterable[str] = (), **fields
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
    trials_reindex(trial_ids=[trial.pk])
    return intervention


@transaction.atomic
def outcome_add(*, trial: Trial, measure: str, **fields) -> Outcome:
    outcome = Outcome(trial=trial, measure=measure, position=trial.outcomes.count(), **fields)
    outcome.full_clean()
    outcome.save()
    return outcome


@transaction.atomic
def site_add(*, trial: Trial, country: str, name: str = "", city: str = "") -> Site:
    site = Site(trial=trial, country=country, name=name, city=city)
    site.full_clean()
    site.save()
    trials_reindex(trial_ids=[trial.pk])
    return site


@transaction.atomic
def source_add(*, trial: Trial, title: str, url: str, **fields) -> Source:
    source = Source(trial=trial, title=title, url=url, **fields)
    source.full_clean()
    source.save()
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
def publication_link(*, trial: Trial, publication: Publication, role: str) -> TrialPublication:
    link, _ = TrialPublication.objects.get_or_create(
        trial=trial, publication=publication, defaults={"role": role}
    )
    return link


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


# Workflow. The full review cycle (send back with a comment, history) comes with the curation
# issue; the rule that matters from day one is enforced here: only reviewers publish or withdraw.
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


@transaction.atomic
def trial_transition(*, trial: Trial, action: str, user) -> Trial:
    """Move a trial through the workflow, checking the user's permission on the server."""
    allowed_from, target, needs_publish = TRANSITIONS[action]
    if user is not None:
        if not user.has_perm("trials.change_trial"):
            raise PermissionDenied("You cannot change trials.")
        if needs_publish and not user.has_perm(PUBLISH_PERMISSION):
            raise PermissionDenied("Only reviewers can publish, send back or withdraw trials.")
    trial = Trial.objects.select_for_update().get(pk=trial.pk)
    if trial.workflow not in allowed_from:
        raise TransitionError(
            f"“{trial}” is {trial.get_workflow_display().lower()}, so it cannot be "
            f"{PAST_TENSE[action]}."
        )
    trial.workflow = target
    if target == Workflow.PUBLISHED:
        trial.published_at = timezone.now()
        trial.reviewed_by = user
    trial.save(update_fields=["workflow", "published_at", "reviewed_by", "updated_at"])
    trials_reindex(trial_ids=[trial.pk])  # only published trials are in the browse index
    return trial


def trial_submit(*, trial: Trial, user) -> Trial:
    return trial_transition(trial=trial, action="submit", user=user)


def trial_publish(*, trial: Trial, user) -> Trial:
    return trial_transition(trial=trial, action="publish", user=user)


def trial_withdraw(*, trial: Trial, user) -> Trial:
    return trial_transition(trial=trial, action="withdraw", user=user)


def trial_send_back(*, trial: Trial, user) -> Trial:
    return trial_transition(trial=trial, action="send_back", user=user)


# Public problem reports
# (kept together at the end of the module; the public form and the admin's queue call these).
from trials.models import ProblemReport, ReportStatus  # noqa: E402

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
