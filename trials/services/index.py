"""The browse index: each trial's search document and facet rows, and the token that tells
every web process its in-memory copy is out of date."""

import json
import uuid
from collections.abc import Iterable

from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction
from django.db.models import F, OuterRef, Subquery, Value
from django.utils import timezone

from trials.choices import EndpointMet, OutcomeKind, Phase, Workflow
from trials.completeness import has_peer_reviewed_publication
from trials.models import (
    BrowseIndexState,
    CellType,
    Condition,
    FacetValue,
    IndexChange,
    Intervention,
    Organisation,
    Outcome,
    Publication,
    PublicRecord,
    RegistryId,
    SearchDocument,
    Site,
    Source,
    Trial,
    TrialPublication,
)
from trials.public_record import csv_line, stored_texts
from trials.public_state import AWAITING_REVIEW, awaiting_review, public_trials

# What a trial reports, for "n of m trials reporting" in the evidence table (`reported=`).
REPORTED = {
    "enrollment": "actual_enrollment",
    "saes": "serious_adverse_events",
    "related_saes": "treatment_related_saes",
    "deaths": "deaths",
}


def primary_endpoint(outcomes) -> str:
    """`met` when any primary outcome was met, `not_met` when primary outcomes were reported
    and none was met, `not_reported` otherwise (no primary outcome or no verdict)."""
    verdicts = {o.primary_endpoint_met for o in outcomes if o.kind == OutcomeKind.PRIMARY}
    if EndpointMet.YES in verdicts:
        return "met"
    if EndpointMet.NO in verdicts:
        return "not_met"
    return "not_reported"


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
        if arm.product:
            # Search finds a product by any of its names (NurOwn, MSC-NTF, debamestrocel).
            parts += [arm.product.name, *arm.product.alias_list]
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
            "yes" if has_peer_reviewed_publication(trial.publication_links) else "no",
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
        if arm.product:
            rows.add(("product", arm.product.slug))
        if arm.cell_type_id:
            # The evidence table's cells: this exact cell type given by this exact route, in
            # the same arm (a trial of MSC by vein and NSC into the spine is in neither
            # "MSC intrathecal" nor "NSC intravenous"). "cell:" = route not stated.
            cell = cell_types[arm.cell_type_id].slug
            rows |= {("arm", f"{cell}:{route.slug}") for route in arm.routes.all()} or {
                ("arm", f"{cell}:")
            }
    rows |= {("country", site.country.code) for site in trial.sites.all()}
    rows |= {("reported", name) for name in REPORTED if getattr(trial, REPORTED[name]) is not None}
    rows.add(("endpoint", primary_endpoint(trial.outcomes.all())))
    return rows


@transaction.atomic
def trials_reindex(*, trial_ids: Iterable[int]) -> None:
    """Rebuild the search document (on PostgreSQL also the weighted tsvector), the facet rows
    and the stored public record of these trials. Works in bulk (the synthetic seeder
    reindexes thousands at once) and leaves `updated_at` alone: reindexing is not an edit."""
    ids = list(trial_ids)
    conditions = {term.pk: term for term in Condition.objects.all()}
    cell_types = {term.pk: term for term in CellType.objects.all()}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        # Lock the rows (in id order, so two reindexes cannot deadlock) so that concurrent
        # reindexes of the same trial run one after the other instead of colliding.
        list(Trial.objects.select_for_update().filter(pk__in=chunk).order_by("pk").values("pk"))
        trials = list(Trial.objects.filter(pk__in=chunk).for_index())
        facet_rows, records = [], []
        # The public sees a trial as a reviewer last approved it (trials/public_state.py):
        # its index rows, public record and search document are built from that state.
        # None: awaiting review with nothing reviewed (restored from a backup): not public.
        shown = {t.pk: t for t in public_trials(trials)}
        publics = [shown.get(t.pk) if awaiting_review(t) else t for t in trials]
        for trial, public in zip(trials, publics, strict=True):
            if public is None:
                trial.search_text = ""
                continue
            trial.search_text = _search_document(public, conditions, cell_types)
            if trial.workflow == Workflow.PUBLISHED:
                rows = _facet_rows(public, conditions, cell_types)
                if public is not trial:
                    rows.add(AWAITING_REVIEW)
                facet_rows += [
                    FacetValue(trial_id=trial.pk, facet=facet, value=value)
                    for facet, value in sorted(rows)
                ]
                document, line = stored_texts(public)
                records.append(PublicRecord(trial_id=trial.pk, document=document, csv_line=line))
        Trial.objects.bulk_update(trials, ["search_text"])
        FacetValue.objects.filter(trial_id__in=chunk).delete()
        FacetValue.objects.bulk_create(facet_rows, batch_size=2000)
        PublicRecord.objects.filter(trial_id__in=chunk).delete()
        PublicRecord.objects.bulk_create(records, batch_size=500)
        if connection.vendor == "postgresql":
            _write_search_documents(chunk, [r.trial_id for r in records], trials, publics)
    browse_index_changed(trial_ids=ids)


def _write_search_documents(chunk, indexed, trials, publics) -> None:
    """The weighted vectors of the public trials among `chunk` (`indexed`), built by
    PostgreSQL from the search documents just stored: title and acronym weighted A, the rest B.
    A trial awaiting review is searched by its reviewed title (trials/public_state.py)."""
    indexed = set(indexed)
    SearchDocument.objects.filter(trial_id__in=chunk).delete()
    SearchDocument.objects.bulk_create([SearchDocument(trial_id=pk) for pk in indexed])
    vector = Trial.objects.filter(pk=OuterRef("trial_id")).annotate(
        vector=SearchVector("title", "acronym", weight="A", config="english")
        + SearchVector("search_text", weight="B", config="english")
    )
    SearchDocument.objects.filter(trial_id__in=indexed).update(
        vector=Subquery(vector.values("vector"))
    )
    for trial, public in zip(trials, publics, strict=True):
        if public is not None and public is not trial and trial.pk in indexed:
            SearchDocument.objects.filter(trial_id=trial.pk).update(
                vector=SearchVector(
                    Value(f"{public.title} {public.acronym}"), weight="A", config="english"
                )
                + SearchVector(Value(trial.search_text), weight="B", config="english")
            )


def public_record_touched(*, trial: Trial) -> None:
    """An edit moved `trial.updated_at` after the trial was reindexed (services record an
    edit after reindexing it): its stored record and every process's sort order follow."""
    document = (
        PublicRecord.objects.filter(trial_id=trial.pk).values_list("document", flat=True).first()
    )
    if document is not None and not trial.edited_since_review:
        # (An edit awaiting review leaves the public record as reviewed, its date included.)
        record = json.loads(document)
        record["updated_at"] = trial.updated_at.isoformat()
        PublicRecord.objects.filter(trial_id=trial.pk).update(
            document=json.dumps(record, ensure_ascii=False), csv_line=csv_line(record)
        )
    browse_index_changed(trial_ids=[trial.pk])


def publications_changed(*, publication_ids: Iterable[int]) -> list[int]:
    """Reindex the trials citing these edited publications (their public records quote the
    paper) and return their ids."""
    trial_ids = sorted(
        set(
            TrialPublication.objects.filter(publication_id__in=list(publication_ids)).values_list(
                "trial_id", flat=True
            )
        )
    )
    trials_reindex(trial_ids=trial_ids)
    return trial_ids


# More changed trials than this in one write, and every web process reloads its whole copy
# of the index instead of catching up trial by trial (a full load is cheaper by then).
LISTED_CHANGES = 2000


def browse_index_changed(*, trial_ids: Iterable[int] | None = None) -> None:
    """Tell every web process that its in-memory copy of the browse index is out of date
    (after a reindex, and after trials are deleted: their rows go with them). `trial_ids`:
    the trials whose rows changed, so that processes reload only those; None when unknown
    (every process then reloads everything)."""
    now, token = timezone.now(), uuid.uuid4().hex
    state = BrowseIndexState.objects.filter(pk=1)
    # The UPDATE locks the row until this transaction commits, so a later writer gets the
    # next generation only after this one is visible: generations commit in order.
    if not state.update(token=token, changed_at=now, generation=F("generation") + 1):
        BrowseIndexState.objects.create(pk=1, token=token, changed_at=now, generation=1)
    generation = state.values_list("generation", flat=True).get()
    changed = None if trial_ids is None else sorted(set(trial_ids))
    if changed is None or len(changed) > LISTED_CHANGES:
        # Too many to list: processes find no row for their generation and reload it all.
        IndexChange.objects.filter(generation__lte=generation).delete()
        changed = []
    IndexChange.objects.create(
        generation=generation, token=token, trial_ids=",".join(map(str, changed))
    )


# The tables a bulk write fills. PostgreSQL plans each query from statistics that only ANALYZE
# (or, some time later, autovacuum) refreshes: right after a restore, a reindex or a seed of
# thousands of trials they still describe the empty tables, and the planner picks nested loops
# that turn an 88 ms page into 12.8 s (issue 14, measured). Every bulk command therefore ends
# here, so a page's speed does not depend on when autovacuum happens to run.
def _catalogue_tables() -> list[str]:
    written = [
        Trial,
        Intervention,
        FacetValue,
        PublicRecord,
        SearchDocument,
        RegistryId,
        Site,
        Outcome,
        Source,
        Publication,
        TrialPublication,
        Organisation,
        Trial.conditions.through,
        Trial.collaborators.through,
        Intervention.routes.through,
    ]
    return [model._meta.db_table for model in written]


def refresh_planner_statistics() -> None:
    """ANALYZE the catalogue's tables (SQLite: the whole database, which is small)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            quoted = ", ".join(connection.ops.quote_name(t) for t in _catalogue_tables())
            cursor.execute(f"ANALYZE {quoted}")
        elif connection.vendor == "sqlite":
            cursor.execute("ANALYZE")
