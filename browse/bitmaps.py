"""The browse index in this process's memory: one bitmap per facet option, and every published
trial in each sort order. Filters, counts and the order of a page are resolved here
(browse/results.py), so the database is asked only for the page's rows, by primary key.

A bitmap is a Python int whose bit n is trial n: an AND and a popcount count an option in
microseconds, whatever the plan PostgreSQL would have chosen. Sort orders are numpy arrays of
trial ids, so the matching trials of any filter are read in order with one vectorised mask.

Each process keeps a `Snapshot` and checks the index token on every request (one tiny query).
When it changed, the process reads only the trials changed since its generation
(trials.models.IndexChange) and patches a copy of its snapshot; after a change too large to
list, or when it cannot prove its copy is the one the database went on from, it reloads
everything. Readers keep the snapshot they started with:
a new one replaces it whole, so a page never sees half an update.
"""

import bisect
import datetime
import threading

import numpy as np
from django.contrib.postgres.aggregates import ArrayAgg
from django.db import connection

from trials.models import BrowseIndexState, FacetValue, IndexChange, Phase, Trial
from trials.public_state import AWAITING, reviewed_rows

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
MICROSECOND = datetime.timedelta(microseconds=1)
# Phase order of "sort=phase" (latest first); no phase and "not applicable" come last.
PHASE_RANK = {code: rank for rank, code in enumerate(c for c in Phase.values if c != Phase.NA)}
# Sort orders, each descending: the per-trial columns compared in turn, then the id.
SORTS = {
    "updated": ("updated",),
    "start": ("start",),
    "enrollment": ("enrollment",),
    "phase": ("phase",),
    "evidence": ("evidence", "updated"),
}
COLUMNS = ("updated", "start", "enrollment", "phase", "evidence")
MISSING = -1  # a trial with no start date or enrollment sorts after every real value
# More changed trials than this, and a patch sorts each order again instead of inserting.
INSERTS = 64
# How many earlier snapshots a snapshot remembers the changes since (Snapshot.changed_since).
ANCESTORS = 8


def bitmap(ids) -> int:
    """The bitmap of these trial ids (bit n set for trial n)."""
    ids = np.fromiter(ids, dtype=np.int64) if not isinstance(ids, np.ndarray) else ids
    if not len(ids):
        return 0
    bits = np.zeros(int(ids.max()) + 1, dtype=np.uint8)
    bits[ids] = 1
    return int.from_bytes(np.packbits(bits, bitorder="little").tobytes(), "little")


def members(bits: int, size: int) -> np.ndarray:
    """A boolean array of `size` (or more) entries: entry n is bit n of `bits`."""
    raw = bits.to_bytes((max(size, bits.bit_length()) + 7) // 8, "little")
    return np.unpackbits(np.frombuffer(raw, dtype=np.uint8), bitorder="little").view(bool)


def _row(updated_at, start_date, actual, target, phase) -> tuple[int, int, int, int]:
    enrollment = actual if actual is not None else target
    return (
        (updated_at - EPOCH) // MICROSECOND,
        start_date.toordinal() if start_date else MISSING,
        MISSING if enrollment is None else enrollment,
        PHASE_RANK.get(phase, MISSING),
    )


def _sort_rows(ids):
    """(id, (updated, start, enrollment, phase)) of these published trials (None: all)."""
    trials = Trial.objects.published().order_by()
    if ids is not None:
        trials = trials.filter(pk__in=ids)
    fields = ("pk", "updated_at", "start_date", "actual_enrollment", "target_enrollment", "phase")
    rows = trials.values_list(*fields, AWAITING)
    waiting = []
    # A server-side cursor only for a full load: for a few trials it costs three round trips.
    for pk, *values, awaiting in rows.iterator(chunk_size=5000) if ids is None else rows:
        if awaiting:
            waiting.append({"pk": pk, **dict(zip(fields[1:], values, strict=True)), AWAITING: 1})
        else:
            yield pk, _row(*values)
    # The few trials awaiting review sort by the values the public sees (their reviewed ones).
    for row in reviewed_rows(waiting, fields[1:]):
        yield row["pk"], _row(*(row[f] for f in fields[1:]))


def _facet_ids(ids) -> dict[tuple[str, str], np.ndarray]:
    """{(facet, value): trial ids} from the index rows of these trials (None: all)."""
    rows = FacetValue.objects.order_by()
    if ids is not None:
        rows = rows.filter(trial_id__in=ids)
    if connection.vendor == "postgresql" and ids is None:
        # A million rows at 100,000 trials: let PostgreSQL group them (a thousand arrays).
        grouped = rows.values_list("facet", "value").annotate(ids=ArrayAgg("trial_id"))
        return {(f, v): np.array(members, dtype=np.int64) for f, v, members in grouped}
    lists: dict[tuple[str, str], list[int]] = {}
    rows = rows.values_list("trial_id", "facet", "value")
    for trial_id, facet, value in rows.iterator(chunk_size=20000) if ids is None else rows:
        lists.setdefault((facet, value), []).append(trial_id)
    return {key: np.array(found, dtype=np.int64) for key, found in lists.items()}


class Snapshot:
    """One consistent copy of the index. Never changed once published to readers."""

    def __init__(self, token, generation, facets, columns, published, orders):
        self.token, self.generation = token, generation
        self.facets: dict[str, dict[str, int]] = facets  # facet -> value -> bitmap
        self.columns: dict[str, np.ndarray] = columns  # column -> value by trial id
        self.published: np.ndarray = published  # bool by trial id
        self.orders: dict[str, np.ndarray] = orders  # sort -> trial ids, in display order
        listing = facets.get("listing", {}).values()
        # Every indexed trial has exactly one listing type: their union is all of them.
        self.everything = 0
        for bits in listing:
            self.everything |= bits
        self._positions: dict[str, np.ndarray] = {}
        # token of an earlier snapshot this one was patched from -> the trials changed since
        # (newest first, ANCESTORS at most): what a cached answer from then must ask again.
        self.ancestors: dict[str, np.ndarray] = {}

    @property
    def size(self) -> int:
        return len(self.published)

    def position(self, sort: str) -> np.ndarray:
        """Each trial's place in a sort order, by trial id (for ties in relevance)."""
        if sort not in self._positions:
            positions = np.zeros(self.size, dtype=np.int64)
            positions[self.orders[sort]] = np.arange(len(self.orders[sort]))
            self._positions[sort] = positions
        return self._positions[sort]

    def changed_since(self, token) -> np.ndarray | None:
        """The trials whose index rows changed since the snapshot with this token (None when
        this process cannot tell: too long ago, or another copy altogether)."""
        if token == self.token:
            return np.zeros(0, dtype=np.int64)
        return self.ancestors.get(token)

    def key(self, sort: str, trial_id: int) -> tuple:
        """Ascending key of a trial in a display order (each column descending)."""
        return (*(-int(self.columns[c][trial_id]) for c in SORTS[sort]), -trial_id)

    # -- building ---------------------------------------------------------------------------

    @classmethod
    def load(cls, token, generation) -> "Snapshot":
        facets: dict[str, dict[str, int]] = {}
        for (facet, value), ids in _facet_ids(None).items():
            facets.setdefault(facet, {})[value] = bitmap(ids)
        rows = dict(_sort_rows(None))
        size = max([*rows, *(b.bit_length() for f in facets.values() for b in f.values()), 0])
        columns = {name: np.full(size + 1, MISSING, dtype=np.int64) for name in COLUMNS}
        published = np.zeros(size + 1, dtype=bool)
        ids = np.fromiter(rows, dtype=np.int64, count=len(rows))
        values = np.array(list(rows.values()), dtype=np.int64).reshape(len(rows), 4)
        for n, name in enumerate(COLUMNS[:4]):
            columns[name][ids] = values[:, n]
        published[ids] = True
        columns["evidence"] = cls._evidence(facets, size + 1)
        snapshot = cls(token, generation, facets, columns, published, {})
        snapshot.orders = {sort: snapshot._full_order(sort, ids) for sort in SORTS}
        return snapshot

    @staticmethod
    def _evidence(facets, size) -> np.ndarray:
        # "sort=evidence": a peer-reviewed results paper first, then results without one.
        papers = members(facets.get("has_publication", {}).get("yes", 0), size)[:size]
        results = members(facets.get("has_results", {}).get("yes", 0), size)[:size]
        return np.where(papers, 2, np.where(results, 1, 0)).astype(np.int64)

    def _full_order(self, sort: str, ids: np.ndarray) -> np.ndarray:
        keys = [-ids] + [-self.columns[c][ids] for c in reversed(SORTS[sort])]
        return ids[np.lexsort(keys)]

    def patched(self, token, generation, changed: list[int]) -> "Snapshot":
        """A new snapshot with the rows of the `changed` trials read again."""
        mask = bitmap(changed)
        facets = {
            facet: {value: bits & ~mask if bits & mask else bits for value, bits in values.items()}
            for facet, values in self.facets.items()
        }
        for (facet, value), ids in _facet_ids(changed).items():
            options = facets.setdefault(facet, {})
            options[value] = options.get(value, 0) | bitmap(ids)
        rows = dict(_sort_rows(changed))
        size = max(self.size, max(changed, default=-1) + 1)  # (a change may list no trial)
        columns = {}
        for name in COLUMNS:
            columns[name] = np.full(size, MISSING, dtype=np.int64)
            columns[name][: self.size] = self.columns[name]
        published = np.zeros(size, dtype=bool)
        published[: self.size] = self.published
        for pk in changed:
            published[pk] = pk in rows
            for name, value in zip(COLUMNS[:4], rows.get(pk, (MISSING,) * 4), strict=True):
                columns[name][pk] = value
        columns["evidence"][changed] = self._evidence(facets, size)[changed]
        snapshot = Snapshot(token, generation, facets, columns, published, {})
        since = np.array(changed, dtype=np.int64)
        lineage = [(self.token, since)] + [
            (old, np.union1d(ids, since)) for old, ids in self.ancestors.items()
        ]
        snapshot.ancestors = dict(lineage[:ANCESTORS])
        if len(changed) > INSERTS:
            ids = np.flatnonzero(published)
            snapshot.orders = {sort: snapshot._full_order(sort, ids) for sort in SORTS}
            return snapshot
        old = [pk for pk in changed if pk < self.size and self.published[pk]]
        for sort, order in self.orders.items():
            # Take the changed trials out (found by their old keys), then put the published
            # ones back where their new keys belong: a binary search each.
            places = [
                bisect.bisect_left(order, self.key(sort, pk), key=self._keyer(sort)) for pk in old
            ]
            order = np.delete(order, places)
            for pk in sorted(rows):
                place = bisect.bisect_left(order, snapshot.key(sort, pk), key=snapshot._keyer(sort))
                order = np.insert(order, place, pk)
            snapshot.orders[sort] = order
        return snapshot

    def _keyer(self, sort):
        return lambda pk: self.key(sort, int(pk))


class IndexBitmaps:
    """This process's current snapshot, kept in step with the database's index token."""

    _snapshot: Snapshot | None = None
    _lock = threading.Lock()

    @classmethod
    def current(cls) -> Snapshot:
        state = BrowseIndexState.objects.filter(pk=1).values_list("token", "generation").first()
        snapshot = cls._snapshot
        if state is not None and snapshot is not None and state[0] == snapshot.token:
            return snapshot
        with cls._lock:
            cls._snapshot = cls._refreshed(cls._snapshot, state)
            return cls._snapshot

    @staticmethod
    def _refreshed(snapshot: Snapshot | None, state) -> Snapshot:
        token, generation = state or (None, 0)
        if snapshot is None or state is None or snapshot.generation >= generation:
            return Snapshot.load(token, generation)
        if snapshot.token == token:
            return snapshot  # another thread caught up meanwhile
        steps = list(
            IndexChange.objects.filter(
                generation__gte=snapshot.generation, generation__lte=generation
            )
            .order_by("generation")
            .values_list("generation", "token", "trial_ids")
        )
        # Catch up only from the very copy this process holds, through every generation since.
        continuous = [g for g, _t, _ids in steps] == list(
            range(snapshot.generation, generation + 1)
        )
        if not continuous or steps[0][1] != snapshot.token:
            return Snapshot.load(token, generation)
        changed = sorted({int(pk) for _g, _t, ids in steps[1:] for pk in ids.split(",") if pk})
        return snapshot.patched(token, generation, changed)
