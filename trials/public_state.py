"""What the public sees of a trial: the trial as a reviewer last approved it.

A curator's edit to a published trial is saved at once (the admin, the history and the
reviewers' queue show it), but it reaches the public only when a reviewer approves it
(README, "Editing a published trial"). Until then every public surface (pages, lists, counts,
search, exports, the API, feeds, the sitemap and JSON-LD) shows the trial's last *published
state*: its newest history snapshot taken while it was published with no edit awaiting
review (trials.history.is_published_state).

The browse index, the stored public records and the search columns are built from that state
when a trial is reindexed (services.index.trials_reindex), so lists, exports and the API read
it without knowing; pages that load a trial with its parts ask `public_trials` for it.

A trial with no edit awaiting review is its own public state: only the few trials in the
reviewers' queue are rebuilt from their snapshot, as unsaved instances whose parts answer
from prefetch caches (`trial.interventions.all()` runs no query), so templates, the public
record and the index read them exactly like a trial loaded with `for_detail()`.
"""

from collections.abc import Iterable

from reversion.models import Version

from trials import history
from trials.choices import Registry, Workflow
from trials.models import (
    CellProduct,
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

# The index row that marks a published trial whose public state is its reviewed snapshot:
# each web process then knows, without a query, which few trials its readers of trial
# columns must take from that snapshot instead (browse/results.py). Not a public facet.
AWAITING_REVIEW = ("review", "awaiting")


def awaiting_review(trial: Trial) -> bool:
    return trial.workflow == Workflow.PUBLISHED and trial.edited_since_review


def public_trials(trials: Iterable[Trial]) -> list[Trial]:
    """These published trials as the public sees them, in the same order: each trial itself,
    or, for one with an edit awaiting review, its last reviewed state. A trial awaiting review
    with no reviewed snapshot (restored from a backup, which carries no history) is left out:
    nothing of it has been reviewed, so nothing of it is public until a reviewer approves it."""
    trials = list(trials)
    reviewed = reviewed_states([t for t in trials if awaiting_review(t)])
    return [reviewed.get(t.pk, t) for t in trials if t.pk in reviewed or not awaiting_review(t)]


def public_trial(trial: Trial | None) -> Trial | None:
    """The trial as the public sees it, or None when the public may not see it."""
    if trial is None or trial.workflow != Workflow.PUBLISHED:
        return None
    found = public_trials([trial])
    return found[0] if found else None


def public_lookup(published, key: str) -> Trial | None:
    """The published trial the public finds at `key` (a slug or a registry id) as last
    reviewed, or None. A slug or id an edit awaiting review changed keeps leading where it did:
    the new one leads nowhere yet, the old one still works (checked among the few trials in the
    reviewers' queue, only when the live rows do not answer)."""
    wanted = key.strip().lower()

    def known(trial: Trial) -> bool:
        return trial.slug == key or any(
            r.identifier.lower() == wanted for r in trial.registry_ids.all()
        )

    for find in (lambda: published.filter(slug=key), lambda: published.with_registry_id(key)):
        public = public_trial(find().first())
        if public is not None and known(public):
            return public
    waiting = Trial.objects.published().filter(edited_since_review=True).for_detail()
    return next((public for public in public_trials(waiting) if known(public)), None)


def reviewed_states(trials: list[Trial]) -> dict[int, Trial]:
    """{trial id: the trial as last reviewed} for these trials, in a fixed number of queries
    (their versions, the parts of the chosen revisions, and the terms, organisations and
    publications they name). A trial with no reviewed snapshot is left out: it is shown as it
    is (only possible if its history was deleted)."""
    if not trials:
        return {}
    live = {t.pk: t for t in trials}
    chosen: dict[int, Version] = {}
    versions = (
        Version.objects.get_for_model(Trial)
        .filter(object_id__in=[str(pk) for pk in live])
        .select_related("revision")
        .order_by("-revision__date_created", "-pk")
    )
    for version in versions:
        trial_id = int(version.object_id)
        if trial_id not in chosen and history.is_published_state(version.field_dict):
            chosen[trial_id] = version
    parts: dict[int, list[Version]] = {}
    for part in Version.objects.filter(
        revision_id__in={v.revision_id for v in chosen.values()}
    ).select_related("content_type"):
        model = part.content_type.model_class()
        trial_id = part.field_dict.get("trial_id") if model in history.PARTS.values() else None
        if trial_id in chosen and chosen[trial_id].revision_id == part.revision_id:
            parts.setdefault(trial_id, []).append(part)
    built = {pk: _Build(version, parts.get(pk, []), live[pk]) for pk, version in chosen.items()}
    _Build.load_related(built.values())
    return {pk: build.trial for pk, build in built.items()}


def _cache(instance, name: str, objects: list) -> None:
    """Make `instance.<name>.all()` answer `objects` without a query, as a prefetch would."""
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache.pop(name, None)
    queryset = getattr(instance, name).get_queryset()
    queryset._result_cache = list(objects)
    queryset._prefetch_done = True
    instance._prefetched_objects_cache[name] = queryset


def _restored(version: Version, like):
    """The snapshot's object as an unsaved instance that behaves as loaded from `like`'s
    database, and its many-to-many ids."""
    stored = version._object_version
    obj = stored.object
    obj._state.adding = False
    obj._state.db = like._state.db or "default"
    return obj, stored.m2m_data


# The parts in the order their models' Meta.ordering gives them (one list per relation).
def _registry_order(r: RegistryId):
    return (0 if r.registry == Registry.NCT else 1, r.registry, r.identifier, r.pk)


PART_ORDER = {
    "registry_ids": _registry_order,
    "interventions": lambda p: (p.position, p.pk),
    "outcomes": lambda p: (p.position, p.pk),
    "sites": lambda p: (str(p.country), p.city, p.pk),
    "sources": lambda p: (p.kind, p.pk),
}


class _Build:
    def __init__(self, version: Version, part_versions: list[Version], live: Trial):
        self.trial, m2m = _restored(version, live)
        self.condition_ids = [int(pk) for pk in m2m.get("conditions", [])]
        self.collaborator_ids = [int(pk) for pk in m2m.get("collaborators", [])]
        self.parts: dict[type, list] = {}
        self.route_ids: dict[int, list[int]] = {}
        for part_version in part_versions:
            part, part_m2m = _restored(part_version, live)
            self.parts.setdefault(type(part), []).append(part)
            if isinstance(part, Intervention):
                self.route_ids[part.pk] = [int(pk) for pk in part_m2m.get("routes", [])]

    @staticmethod
    def load_related(builds) -> None:
        builds = list(builds)
        if not builds:
            return
        arms = [arm for b in builds for arm in b.parts.get(Intervention, [])]
        links = [link for b in builds for link in b.parts.get(TrialPublication, [])]
        conditions = Condition.objects.select_related("parent").in_bulk(
            {pk for b in builds for pk in b.condition_ids}
        )
        organisations = Organisation.objects.in_bulk(
            {pk for b in builds for pk in b.collaborator_ids}
            | {b.trial.sponsor_id for b in builds if b.trial.sponsor_id}
        )
        cell_types = CellType.objects.in_bulk({a.cell_type_id for a in arms if a.cell_type_id})
        products = CellProduct.objects.in_bulk({a.product_id for a in arms if a.product_id})
        routes = Route.objects.in_bulk(
            {pk for b in builds for ids in b.route_ids.values() for pk in ids}
        )
        publications = Publication.objects.in_bulk({link.publication_id for link in links})
        for build in builds:
            build.assemble(conditions, organisations, cell_types, products, routes, publications)

    def assemble(self, conditions, organisations, cell_types, products, routes, publications):
        trial = self.trial
        trial.sponsor = organisations.get(trial.sponsor_id) if trial.sponsor_id else None
        by_name = lambda term: (term.name, term.pk)  # noqa: E731 (Meta.ordering of terms)
        own_conditions = [conditions[pk] for pk in self.condition_ids if pk in conditions]
        _cache(trial, "conditions", sorted(own_conditions, key=by_name))
        _cache(
            trial,
            "collaborators",
            sorted(
                (organisations[pk] for pk in self.collaborator_ids if pk in organisations),
                key=by_name,
            ),
        )
        for arm in self.parts.get(Intervention, []):
            arm.cell_type = cell_types.get(arm.cell_type_id) if arm.cell_type_id else None
            arm.product = products.get(arm.product_id) if arm.product_id else None
            arm_routes = [routes[pk] for pk in self.route_ids.get(arm.pk, []) if pk in routes]
            _cache(arm, "routes", sorted(arm_routes, key=by_name))
        for name, model in (
            ("registry_ids", RegistryId),
            ("interventions", Intervention),
            ("outcomes", Outcome),
            ("sites", Site),
            ("sources", Source),
        ):
            own = self.parts.get(model, [])
            for part in own:
                part.trial = trial
            _cache(trial, name, sorted(own, key=PART_ORDER[name]))
        links = [
            link
            for link in self.parts.get(TrialPublication, [])
            if link.publication_id in publications
        ]
        for link in links:
            link.publication = publications[link.publication_id]
            link.trial = trial
        # As querysets._publication_links orders them: newest paper first.
        links.sort(key=lambda link: (-(link.publication.year or 0), link.role, link.pk))
        trial.publication_links = links
        _cache(trial, "trialpublication_set", links)


# -- rows of trial columns ------------------------------------------------------------------
#
# Pages that read trial columns in bulk (cards, charts, the evidence table and map, the sort
# orders) ask for `AWAITING` with them and pass the rows here: the few trials awaiting review
# get their reviewed values. `ARMS_CELL_TYPE` (one row per arm) is the one join they read.

AWAITING = "edited_since_review"
ARMS_CELL_TYPE = "interventions__cell_type_id"


def reviewed_rows(rows, fields) -> list[dict]:
    """`rows` (dicts of `queryset.values("pk", *fields, AWAITING)` over published trials),
    with each trial awaiting review in them replaced by its reviewed state's values, at the
    place of its first row. The AWAITING key is dropped."""
    rows = list(rows)
    waiting = {row["pk"] for row in rows if row.pop(AWAITING)}
    if not waiting:
        return rows
    reviewed = reviewed_states(list(Trial.objects.filter(pk__in=waiting).for_detail()))
    done: set[int] = set()
    result = []
    for row in rows:
        trial = reviewed.get(row["pk"])
        if trial is None:
            if row["pk"] not in waiting:
                result.append(row)  # (awaiting review with nothing reviewed: not public)
        elif row["pk"] not in done:
            done.add(row["pk"])
            result += _values(trial, fields)
    return result


def _values(trial: Trial, fields) -> list[dict]:
    row = {"pk": trial.pk, **{f: getattr(trial, f) for f in fields if f != ARMS_CELL_TYPE}}
    if ARMS_CELL_TYPE not in fields:
        return [row]
    arms = trial.interventions.all()
    return [{**row, ARMS_CELL_TYPE: arm.cell_type_id} for arm in arms] or [
        {**row, ARMS_CELL_TYPE: None}
    ]


def public_stream(trials: Iterable[Trial], chunk: int = 500):
    """`public_trials` over a long stream of trials, `chunk` at a time (memory stays flat)."""
    batch: list[Trial] = []
    for trial in trials:
        batch.append(trial)
        if len(batch) == chunk:
            yield from public_trials(batch)
            batch = []
    yield from public_trials(batch)
