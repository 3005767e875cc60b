"""CSV and JSON exports of any filtered result set: the list's filters, streamed.

The matching trials and their order come from the in-memory index (browse/results.py); each
trial's record (or CSV line) is the one reindexing stored (`trials.public_record`), read
a chunk at a time by primary key, so memory does not grow with the number of trials.
"""

import csv
import json

from django.http import HttpResponse, StreamingHttpResponse

from browse.citations import publications_ris
from browse.conditional import catalogue_conditional
from browse.filters import TrialFilter
from browse.results import Results, trials_in_order
from trials.models import Trial
from trials.public_record import CHUNK, CSV_COLUMNS, stored_csv_lines, stored_documents
from trials.public_state import public_stream

# Trials per chunk of a streamed export.
BATCH = 200


class _Echo:
    """csv.writer target that hands each formatted line back instead of storing it."""

    def write(self, value):
        return value


def _batched(pieces, size: int = BATCH):
    """The pieces joined `size` at a time: one write to the client per batch, not per trial
    (a write each made the server's side of an export slower than reading the rows)."""
    batch = []
    for piece in pieces:
        batch.append(piece)
        if len(batch) == size:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def _filtered(request):
    return TrialFilter(request.GET, queryset=Trial.objects.published())


def _bad_request(problems) -> HttpResponse:
    message = "The export was not made because of these parameters:\n" + "\n".join(
        f"- {problem}" for problem in problems
    )
    return HttpResponse(message + "\n", status=400, content_type="text/plain; charset=utf-8")


@catalogue_conditional
def export_csv(request):
    filterset = _filtered(request)
    if filterset.problems:
        return _bad_request(filterset.problems)
    base_url = request.build_absolute_uri("/").rstrip("/")
    # Quote every cell: a spreadsheet splitting on ";" must not see a bare formula either.
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_ALL)

    ids = Results(filterset).ordered()

    def rows():
        yield "\ufeff"  # BOM: spreadsheet programs then read the file as UTF-8
        yield writer.writerow(CSV_COLUMNS)
        yield from _batched(stored_csv_lines(ids, base_url))

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="cell-therapy-trials.csv"'
    return response


@catalogue_conditional
def export_json(request):
    filterset = _filtered(request)
    if filterset.problems:
        return HttpResponse(
            json.dumps({"errors": filterset.problems}, ensure_ascii=False),
            status=400,
            content_type="application/json",
        )
    base_url = request.build_absolute_uri("/").rstrip("/")

    ids = Results(filterset).ordered()

    def chunks():
        yield "["
        documents = stored_documents(ids, base_url)
        yield from _batched(("," if n else "") + "\n" + doc for n, doc in enumerate(documents))
        yield "\n]\n"

    response = StreamingHttpResponse(chunks(), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="cell-therapy-trials.json"'
    return response


@catalogue_conditional
def export_ris(request):
    """The publications of the filtered trials, as RIS (each paper once, with the registry
    ids of the trials it reports on), for reference managers. Reads back through our own RIS
    importer. Not streamed: each paper is written once, after every trial citing it is seen
    (papers are far fewer than trials)."""
    filterset = _filtered(request)
    if filterset.problems:
        return _bad_request(filterset.problems)
    response = HttpResponse(
        publications_ris(
            public_stream(
                trials_in_order(
                    Trial.objects.published().for_export(), Results(filterset).ordered(), CHUNK
                )
            )
        ),
        content_type="application/x-research-info-systems; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="cell-therapy-trial-publications.ris"'
    return response
