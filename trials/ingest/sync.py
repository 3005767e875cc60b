"""Keep the catalogue current from ClinicalTrials.gov without a curator downloading files.

`sync_ctgov()` runs saved searches against the API v2 (`GET /studies`, paged with
`pageToken`), then refreshes every catalogued trial that has an NCT id (`filter.ids`, in
batches). Each study goes through the file importer's `import_study`, so the merge policy is
the same: new trials become drafts, a value a curator edited is never overwritten (the
registry's value waits beside it), an uncurated status, date or enrolment follows the
registry. Each study is imported in its own transaction: a failure part-way keeps what came
before it.

Incremental: a saved search that last completed without errors asks only for studies whose
LastUpdatePostDate is on or after the day before that run started; the catalogue refresh
likewise from the last run that completed it. A failed or partial search keeps its old window,
so the next run picks up from there.
"""

from collections.abc import Iterable
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from trials import services
from trials.ingest.client import ApiClient, FetchError, NotFound
from trials.ingest.parsers import ctgov
from trials.ingest.parsers.errors import ImportFileError
from trials.ingest.registry import describe_error, import_study
from trials.ingest.runs import Tally, outcome_of, run_finish, run_save, run_start, sync_user
from trials.models import (
    Registry,
    RegistryId,
    RegistryRecord,
    SavedSearch,
    SyncKind,
    SyncRun,
)


def window_filter(since: date | None, advanced: str = "") -> str:
    """filter.advanced for the search's own expression and the sync's date window."""
    window = f"AREA[LastUpdatePostDate]RANGE[{since.isoformat()},MAX]" if since else ""
    if advanced and window:
        return f"({advanced}) AND {window}"
    return advanced or window


def catalogue_nct_ids() -> set[str]:
    """Every NCT id the catalogue knows: imported records and ids curators entered."""
    ids = set(
        RegistryRecord.objects.filter(registry=Registry.NCT).values_list("identifier", flat=True)
    )
    ids |= {
        identifier.upper()
        for identifier in RegistryId.objects.filter(registry=Registry.NCT).values_list(
            "identifier", flat=True
        )
    }
    return ids


class CtgovSync:
    def __init__(self, client: ApiClient, *, run: SyncRun | None, dry_run: bool = False):
        self.client, self.run, self.dry_run = client, run, dry_run
        self.tally = Tally()
        self.done: set[str] = set()
        self.catalogue = catalogue_nct_ids()
        self.user = sync_user() if not dry_run else None
        label = f"run #{run.pk}" if run else "dry run"
        self.source_name = f"registry sync, {label}"

    def note(self, line: str) -> None:
        self.tally.lines.append(line)

    def error(self, line: str) -> None:
        self.tally.errors += 1
        self.note(f"ERROR {line}")

    # --- one study ---------------------------------------------------------------------------
    def study(self, raw, *, label: str) -> None:
        try:
            study = ctgov.map_study(raw, record=label)
        except ImportFileError as error:
            self.tally.seen += 1
            self.error(f"{label}: {error}; not imported")
            return
        nct = study.nct_id
        if nct in self.done:  # found by two searches: imported once per run
            return
        self.done.add(nct)
        self.tally.seen += 1
        try:
            with transaction.atomic():
                result = import_study(
                    study,
                    source_name=self.source_name,
                    user=self.user,
                    include_all=nct in self.catalogue,  # a catalogued trial is always refreshed
                )
                if result.outcome != "skipped":
                    RegistryRecord.objects.filter(registry=Registry.NCT, identifier=nct).update(
                        last_fetched_at=timezone.now()
                    )
                if self.dry_run:
                    transaction.set_rollback(True)
        except (ValidationError, IntegrityError) as error:
            message = describe_error(error) if isinstance(error, ValidationError) else str(error)
            self.error(f"{nct}: {message}; not imported")
            return
        setattr(self.tally, result.outcome, getattr(self.tally, result.outcome) + 1)
        self.tally.waiting += bool(result.pending)
        line = f"{nct}: {result.outcome}"
        if result.detail or result.reason:
            line += f" ({result.detail or result.reason})"
        if result.pending:
            line += f"; waiting for a curator: {', '.join(result.pending)}"
        self.note(line)

    # --- paged searches ----------------------------------------------------------------------
    def pages(self, params: dict[str, str], *, label: str) -> bool:
        """Fetch and import every page of one search. True when it completed without errors."""
        errors_before = self.tally.errors
        params = {**params, "pageSize": str(settings.SYNC_PAGE_SIZE), "countTotal": "true"}
        token, number = None, 0
        while True:
            number += 1
            try:
                page = self.client.get_json(
                    "studies", {**params, **({"pageToken": token} if token else {})}
                )
            except FetchError as error:
                self.error(f"{label}: page {number}: {error}; the search stopped here")
                return False
            studies = page.get("studies") if isinstance(page, dict) else None
            if not isinstance(studies, list):
                self.error(f"{label}: page {number} is not an API v2 search answer (no studies)")
                return False
            self.tally.pages += 1
            if number == 1 and isinstance(page.get("totalCount"), int):
                self.note(f"{label}: {page['totalCount']} studies match")
            for position, raw in enumerate(studies, 1):
                self.study(raw, label=f"{label}, page {number}, study {position}")
            run_save(self.run, self.tally)
            token = page.get("nextPageToken")
            if not token:
                return self.tally.errors == errors_before

    def search(self, saved: SavedSearch, *, since: date | None) -> bool:
        params = saved.params()
        if advanced := window_filter(since, params.pop("filter.advanced", "")):
            params["filter.advanced"] = advanced
        label = f"{saved.name} ({f'updated since {since}' if since else 'full'})"
        return self.pages(params, label=label)

    def refresh(self, *, since: date | None) -> bool:
        """Refresh every catalogued NCT trial not already seen in this run, in batches."""
        todo = sorted(self.catalogue - self.done)
        complete = True
        for start in range(0, len(todo), settings.SYNC_REFRESH_BATCH):
            batch = todo[start : start + settings.SYNC_REFRESH_BATCH]
            params = {"filter.ids": ",".join(batch)}
            if since:
                params["filter.advanced"] = window_filter(since)
            label = f"catalogue refresh {batch[0]}–{batch[-1]}"
            complete &= self.pages(params, label=label)
            if since is None:  # a full refresh: a catalogued id the search did not return
                complete &= self.confirm_missing([nct for nct in batch if nct not in self.done])
        return complete

    def confirm_missing(self, ids: Iterable[str]) -> bool:
        complete = True
        for nct in ids:
            try:
                raw = self.client.get_json(f"studies/{nct}")
            except NotFound:
                self.tally.skipped += 1
                self.note(f"{nct}: not found at ClinicalTrials.gov (404); the trial is kept as is")
                continue
            except FetchError as error:
                self.error(f"{nct}: {error}")
                complete = False
                continue
            self.tally.pages += 1
            self.study(raw, label=nct)
        return complete


def count_matches(client: ApiClient, searches: Iterable[SavedSearch]) -> list[tuple[str, str]]:
    """How many studies each search matches at the registry now (the API's totalCount), with
    one request each and nothing imported: for a curator choosing or tuning searches."""
    counts = []
    for saved in searches:
        try:
            page = client.get_json(
                "studies", {**saved.params(), "countTotal": "true", "pageSize": "1"}
            )
        except FetchError as error:
            counts.append((saved.name, f"ERROR {error}"))
            continue
        total = page.get("totalCount") if isinstance(page, dict) else None
        counts.append((saved.name, str(total) if isinstance(total, int) else "no totalCount"))
    return counts


def _since(watermark, override: date | None) -> date | None:
    if override is not None:
        return override
    return (watermark - timedelta(days=1)).date() if watermark else None


def sync_ctgov(
    client: ApiClient,
    *,
    searches: Iterable[SavedSearch],
    refresh: bool = True,
    since: date | None = None,
    dry_run: bool = False,
) -> tuple[SyncRun | None, Tally, str]:
    """One run. Returns the run (None for a dry run), its tally and its outcome. Raises
    SyncBusy when another ClinicalTrials.gov sync holds the lock."""
    searches = list(searches)
    names = ", ".join(search.name for search in searches) + (
        " + catalogue refresh" if refresh else ""
    )
    run = None if dry_run else run_start(SyncKind.CTGOV, query=names)
    sync = CtgovSync(client, run=run, dry_run=dry_run)
    aborted, outcome = False, "failed"
    try:
        for saved in searches:
            complete = sync.search(saved, since=_since(saved.synced_until, since))
            aborted |= not complete
            if complete and run is not None:
                saved.synced_until = run.started_at
                saved.save(update_fields=["synced_until"])
        if refresh:
            last = (
                SyncRun.objects.filter(kind=SyncKind.CTGOV, refreshed_catalogue=True)
                .order_by("-started_at")
                .first()
            )
            done = sync.refresh(since=_since(last.started_at if last else None, since))
            if run is not None:
                run.refreshed_catalogue = done
            aborted |= not done
        outcome = outcome_of(sync.tally, aborted=aborted)
    except BaseException as error:
        run_finish(run, sync.tally, outcome="failed", message=f"{type(error).__name__}: {error}")
        raise
    errors = [line for line in sync.tally.lines if line.startswith("ERROR")]
    run_finish(run, sync.tally, outcome=outcome, message="\n".join(errors[:20]))
    if not dry_run and (sync.tally.created or sync.tally.updated):
        services.refresh_planner_statistics()  # a sync can write many trials: a bulk write
    return run, sync.tally, outcome
