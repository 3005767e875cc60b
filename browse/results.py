"""The trials a `TrialFilter` selects, resolved in this process's memory (browse/bitmaps.py):
which trials match, how many each facet option would give, and their order. The database is
asked only for what memory does not hold: the ids a text search (with its ranks on
PostgreSQL), a range or an eligibility answer leaves, one query on the trial table without a
join; then the rows of one page, by primary key. No plan can turn a page slow.
"""

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.contrib.postgres.search import SearchRank
from django.db import connection
from django.db.models import Aggregate, BinaryField, F, FloatField, Func, Value
from django.db.models.functions import Cast

from browse.bitmaps import IndexBitmaps, Snapshot, bitmap, members
from browse.filters import FACETS, HIDDEN_FACETS, TrialFilter
from trials.models import SearchDocument, Trial
from trials.models.index import web_search
from trials.public_state import AWAITING_REVIEW as AWAITING
from trials.public_state import public_trials

# The last searches' answers (ids and ranks), by what was asked: matching a text search is the
# one step whose cost grows with the catalogue (a scan of every search vector: about 60 ms for
# "stem cells" among 100,000 trials), so a repeated search, or its next page, reuses it. Each
# answer remembers the index token it was found at; after the index changes, only the trials
# changed since are asked again (Snapshot.changed_since), so a search stays cheap across
# publishes. The least recently used are dropped.
SEARCHES_KEPT = 16
# Beyond this many changed trials, asking again from scratch is as cheap as patching.
PATCH_LIMIT = 5000
_searches: OrderedDict = OrderedDict()
_searches_lock = threading.Lock()


@dataclass(frozen=True)
class Found:
    token: str | None
    bits: int
    ids: np.ndarray  # best first when ranked (rank, then the latest update), else any order
    ranks: np.ndarray  # zeros when not ranked


def clear_searches() -> None:
    with _searches_lock:
        _searches.clear()


class Packed(Aggregate):
    """PostgreSQL: the binary values (`int8send`, `float8send`) of every row, end to end in
    one bytea, which numpy reads without parsing (`np.frombuffer`)."""

    function = "string_agg"
    template = "%(function)s(%(expressions)s, ''::bytea)"
    output_field = BinaryField()


class Results:
    def __init__(self, filterset: TrialFilter, snapshot: Snapshot | None = None):
        self.filterset = filterset
        self.index = snapshot or IndexBitmaps.current()
        params = filterset.params
        facets = self.index.facets
        self.selected: dict[str, int] = {}
        for name in FACETS:
            values = params.getlist(name)
            if values:
                union = 0
                for value in values:
                    union |= facets.get(name, {}).get(value, 0)
                self.selected[name] = union
        self.narrowed = self.index.everything
        self.searched: tuple[np.ndarray, np.ndarray] | None = None  # (ids, ranks) by relevance
        if any(params.get(name) for name in filterset.filters if name not in FACETS):
            self.narrowed &= self._from_database()
        self.bits = self.narrowed
        for union in self.selected.values():
            self.bits &= union
        self.total = self.bits.bit_count()
        self._mask = None

    def _from_database(self) -> int:
        """The trials that search, ranges and eligibility answers leave: one query, unless
        the same was asked for before (then none, or one about the trials changed since)."""
        params = self.filterset.params
        key = (
            self._ranked(),
            tuple((n, params.get(n)) for n in self.filterset.filters if n not in FACETS),
        )
        with _searches_lock:
            cached = _searches.get(key)
            if cached is not None:
                _searches.move_to_end(key)
        changed = None if cached is None else self.index.changed_since(cached.token)
        if cached is not None and changed is not None and len(changed) == 0:
            found = cached
        elif cached is not None and changed is not None and len(changed) <= PATCH_LIMIT:
            ids, ranks = self._query(only=changed.tolist())
            kept = ~np.isin(cached.ids, changed)
            found = self._found_at(
                np.concatenate([cached.ids[kept], ids]),
                np.concatenate([cached.ranks[kept], ranks]),
                bits=cached.bits & ~bitmap(changed) | bitmap(ids),
            )
        else:
            found = self._found_at(*self._query())
        with _searches_lock:
            _searches[key] = found
            _searches.move_to_end(key)
            while len(_searches) > SEARCHES_KEPT:
                _searches.popitem(last=False)
        if self._ranked():
            self.searched = (found.ids, found.ranks)
        return found.bits

    def _found_at(self, ids: np.ndarray, ranks: np.ndarray, bits: int | None = None) -> Found:
        """What was found, as of this index: ranked ones best first, equal ranks by the
        default order (latest update first; a trial newer than this index after the rest)."""
        if self._ranked():
            known = ids < self.index.size
            updated = np.full(len(ids), self.index.size, dtype=np.int64)
            updated[known] = self.index.position("updated")[ids[known]]
            # One int64 key: the rank's float32 bits (PostgreSQL's ts_rank is a real, and a
            # non-negative float's bits order like the float) above the place in the
            # default order, inverted: one argsort, three times quicker than a lexsort.
            rank_bits = ranks.astype(np.float32).view(np.int32).astype(np.int64)
            order = np.argsort(-((rank_bits << 32) | (2**32 - 1 - updated)), kind="stable")
            ids, ranks = ids[order], ranks[order]
        return Found(self.index.token, bitmap(ids) if bits is None else bits, ids, ranks)

    def _query(self, only: list[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The ids (and ranks) found in the database, among the trials `only` when given."""
        filterset, published = self.filterset, Trial.objects.published()
        if only is not None:
            published = published.filter(pk__in=only)
        asked = {n for n in filterset.filters if n not in FACETS and filterset.params.get(n)}
        if asked == {"q"} and connection.vendor == "postgresql":
            # A text search alone reads the table of search vectors, not the trial table
            # (models.SearchDocument): it holds the public trials only, each as its
            # reviewed state, and `everything` keeps the published ones.
            documents = SearchDocument.objects.filter(vector=web_search(self.filterset.params["q"]))
            if only is not None:
                documents = documents.filter(trial_id__in=only)
            return self._found(documents, "trial_id")
        waiting = members(self.index.facets.get(AWAITING[0], {}).get(AWAITING[1], 0), 0)
        waiting = np.flatnonzero(waiting)
        if len(waiting) and asked & filterset.COLUMN_FILTERS:
            # A trial awaiting review is filtered by its reviewed state, which the columns
            # do not hold (trials/public_state.py): SQL decides the rest, Python these few.
            ids, ranks = self._found(
                filterset.filter_queryset(
                    published.exclude(pk__in=waiting.tolist()), skip=set(FACETS)
                )
            )
            candidates = filterset.filter_queryset(
                published.filter(pk__in=waiting.tolist()),
                skip=set(FACETS) | filterset.COLUMN_FILTERS,
            )
            more, more_ranks = self._found(candidates)
            kept = {t.pk for t in public_trials(candidates.for_detail()) if filterset.accepts(t)}
            keep = np.isin(more, list(kept))
            ids = np.concatenate([ids, more[keep]])
            ranks = np.concatenate([ranks, more_ranks[keep]])
        else:
            ids, ranks = self._found(filterset.filter_queryset(published, skip=set(FACETS)))
        return ids, ranks

    def _ranked(self) -> bool:
        return self.filterset.sort_key == "relevance" and connection.vendor == "postgresql"

    def _found(self, rows, pk: str = "pk") -> tuple[np.ndarray, np.ndarray]:
        """The ids (field `pk`) of these rows, trials or search documents, and their
        text-search ranks (zeros when not ranked)."""
        rows = rows.order_by()
        if connection.vendor != "postgresql":
            ids = np.fromiter(rows.values_list(pk, flat=True), dtype=np.int64)
            return ids, np.zeros(len(ids))
        # One row of two packed binary arrays, not a row per trial: a common word matches
        # most of the catalogue (70,000 trials at 100,000), and building 70,000 row tuples,
        # or printing and parsing 70,000 numbers as text, cost more than the search itself.
        # Both aggregates read the same rows in the same order.
        rank = Value(0.0, output_field=FloatField())
        if self._ranked():
            vector = "vector" if pk == "trial_id" else "search_document__vector"
            rank = SearchRank(F(vector), web_search(self.filterset.params["q"]))
        row = rows.aggregate(
            ids=Packed(Func(F(pk), function="int8send")),
            ranks=Packed(Func(Cast(rank, FloatField()), function="float8send")),
        )
        if not row["ids"]:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        ids = np.frombuffer(row["ids"], dtype=">i8").astype(np.int64)
        return ids, np.frombuffer(row["ranks"], dtype=">f8").astype(np.float64)

    def counts(self, names=FACETS) -> dict[str, dict[str, int]]:
        """{facet: {value: trials}}: what each option would give added to the *other* active
        filters (disjunctive faceting). Hidden facets count only their selected values."""
        counts = {}
        params = self.filterset.params
        for name in names:
            allowed = self.narrowed
            for other, union in self.selected.items():
                if other != name:
                    allowed &= union
            options = self.index.facets.get(name, {})
            if name in HIDDEN_FACETS:
                options = {v: options.get(v, 0) for v in params.getlist(name)}
            counts[name] = {value: (bits & allowed).bit_count() for value, bits in options.items()}
        return counts

    def count_among(self, trials, judge=None) -> int:
        """How many of these (a queryset of trials: one query for their ids) match. A trial
        awaiting review is judged instead by `judge(its reviewed state)` when given (the
        queryset's columns hold its unreviewed edit: trials/public_state.py)."""
        found = bitmap(trials.order_by().values_list("pk", flat=True)) & self.bits
        waiting = self.index.facets.get(AWAITING[0], {}).get(AWAITING[1], 0) & self.bits
        if judge is None or not waiting:
            return found.bit_count()
        ids = np.flatnonzero(members(waiting, 0)).tolist()
        reviewed = public_trials(Trial.objects.filter(pk__in=ids).for_detail())
        return (found & ~waiting).bit_count() + sum(1 for t in reviewed if judge(t))

    def __contains__(self, trial_id: int) -> bool:
        mask = self._members()
        return 0 <= trial_id < len(mask) and bool(mask[trial_id])

    def _members(self) -> np.ndarray:
        if self._mask is None:
            self._mask = members(self.bits, self.index.size)
        return self._mask

    def ordered(self, sort: str | None = None) -> np.ndarray:
        """Every matching trial id, in the filter's order (or `sort`)."""
        sort = sort or self.filterset.sort_key
        mask = self._members()
        if sort == "relevance" and self.searched is not None:
            ids = self.searched[0]
            # A trial published after this process's copy was read is not in it (yet).
            ids = ids[ids < len(mask)]
            return ids[mask[ids]]
        order = self.index.orders["updated" if sort == "relevance" else sort]
        return order[mask[order]]


class ResultRows(Sequence):
    """The matching trials in order, as a paginator sees them: a slice loads just its rows, by
    primary key, with `load` (ids -> rows in that order, e.g. browse.cards.cards)."""

    def __init__(self, results: Results, load):
        self.results, self.load = results, load
        self._ids = None

    def __len__(self) -> int:
        return self.results.total

    def ids(self) -> np.ndarray:
        if self._ids is None:
            self._ids = self.results.ordered()
        return self._ids

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        return self.load([int(pk) for pk in self.ids()[index]])


def trials_in_order(queryset, ids, chunk: int):
    """Every trial of `queryset` with these ids, in this order, `chunk` at a time."""
    for start in range(0, len(ids), chunk):
        yield from in_order(queryset, [int(pk) for pk in ids[start : start + chunk]])


def in_order(queryset, ids: list[int]) -> list:
    """The rows of `queryset` with these ids, in this order."""
    found = queryset.in_bulk(ids) if ids else {}
    return [found[pk] for pk in ids if pk in found]
