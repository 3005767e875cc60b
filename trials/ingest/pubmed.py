"""Fill publications from PubMed: `sync_pubmed()` asks E-utilities' `esummary` for every
publication that has a PMID and lacks a title, journal, year, volume, pages, DOI or PMCID, in
batches, and fills only the empty fields (services.publication_fill_empty): a curated value is
never overwritten. A PMID PubMed cannot summarise is reported and left alone."""

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from trials import services
from trials.ingest.client import ApiClient, FetchError
from trials.ingest.parsers.errors import ImportFileError
from trials.ingest.parsers.pubmed import FIELDS, parse_esummary
from trials.ingest.runs import Tally, outcome_of, run_finish, run_save, run_start
from trials.models import Publication, SyncKind, SyncRun


def publications_to_fill():
    lacking = Q()
    for name in FIELDS:
        lacking |= Q(year__isnull=True) if name == "year" else Q(**{name: ""})
    return Publication.objects.exclude(pmid="").filter(lacking).order_by("pk")


def sync_pubmed(client: ApiClient, *, dry_run: bool = False) -> tuple[SyncRun | None, Tally, str]:
    run = None if dry_run else run_start(SyncKind.PUBMED, query="publications lacking fields")
    tally, aborted, filled_ids = Tally(), False, []
    try:
        publications = list(publications_to_fill())
        for start in range(0, len(publications), settings.PUBMED_BATCH):
            batch = publications[start : start + settings.PUBMED_BATCH]
            pmids = [publication.pmid for publication in batch]
            try:
                answer = client.get_json(
                    "esummary.fcgi", {"db": "pubmed", "id": ",".join(pmids), "retmode": "json"}
                )
                summaries = parse_esummary(answer)
            except (FetchError, ImportFileError) as error:
                tally.errors += 1
                tally.lines.append(f"ERROR PMIDs {pmids[0]}–{pmids[-1]}: {error}")
                aborted = True
                break
            tally.pages += 1
            for publication in batch:
                if _fill(publication, summaries.get(publication.pmid), tally, dry_run=dry_run):
                    filled_ids.append(publication.pk)
            run_save(run, tally)
        outcome = outcome_of(tally, aborted=aborted)
    except BaseException as error:
        run_finish(run, tally, outcome="failed", message=f"{type(error).__name__}: {error}")
        raise
    errors = [line for line in tally.lines if line.startswith("ERROR")]
    run_finish(run, tally, outcome=outcome, message="\n".join(errors[:20]))
    if filled_ids and not dry_run:
        # A filled journal can make a results paper count as peer-reviewed (the
        # has_publication facet), and a trial's public record quotes its papers: reindex the
        # trials the filled publications belong to.
        services.publications_changed(publication_ids=filled_ids)
    return run, tally, outcome


def _fill(publication: Publication, summary, tally: Tally, *, dry_run: bool) -> bool:
    tally.seen += 1
    if summary is None:
        tally.skipped += 1
        tally.lines.append(f"PMID {publication.pmid}: not in PubMed's answer; left as is")
        return False
    if isinstance(summary, str):
        tally.errors += 1
        tally.lines.append(f"ERROR PMID {publication.pmid}: {summary}; left as is")
        return False
    with transaction.atomic():
        filled = services.publication_fill_empty(publication=publication, values=summary)
        if dry_run:
            transaction.set_rollback(True)
    if filled:
        tally.updated += 1
        tally.lines.append(f"PMID {publication.pmid}: filled {', '.join(filled)}")
    else:
        tally.unchanged += 1
        tally.lines.append(f"PMID {publication.pmid}: unchanged (PubMed gives nothing missing)")
    return bool(filled)
