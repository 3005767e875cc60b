"""sync_pubmed against a local fake of E-utilities' esummary (no test reaches the internet),
and the pure parser of its answer."""

import io

import pytest
from django.core.management import CommandError, call_command

from tests.helpers import FakeApi
from trials import services
from trials.ingest.parsers.errors import ImportFileError
from trials.ingest.parsers.pubmed import parse_esummary
from trials.ingest.synthetic import SyntheticRegistry, synthetic_summary
from trials.models import Publication, SyncRun

# An esummary answer in the shape PubMed gives (composed; the PMIDs are synthetic).
ANSWER = {
    "header": {"type": "esummary", "version": "0.3"},
    "result": {
        "uids": ["99000123", "99000999"],
        "99000123": {
            "uid": "99000123",
            "pubdate": "2019 Mar",
            "source": "Mult Scler",
            "fulljournalname": "Multiple sclerosis (Houndmills, Basingstoke, England)",
            "title": "A synthetic paper title.",
            "volume": "25",
            "pages": "417-426",
            "authors": [
                {"name": "Mazzini L", "authtype": "Author"},
                {"name": "Example Consortium", "authtype": "CollectiveName"},
            ],
            "articleids": [
                {"idtype": "pubmed", "value": "99000123"},
                {"idtype": "doi", "value": "10.1177/1352458518765649"},
                {"idtype": "pmc", "value": "PMC6385543"},
            ],
        },
        "99000999": {"uid": "99000999", "error": "cannot get document summary"},
    },
}


def test_the_esummary_answer_maps_to_our_fields_and_errors_are_kept_per_pmid():
    parsed = parse_esummary(ANSWER)
    assert parsed["99000123"] == {
        "title": "A synthetic paper title",
        "authors": "Mazzini, L",
        "journal": "Multiple sclerosis (Houndmills, Basingstoke, England)",
        "year": 2019,
        "volume": "25",
        "pages": "417-426",
        "doi": "10.1177/1352458518765649",
        "pmcid": "PMC6385543",
    }
    assert parsed["99000999"] == "PubMed: cannot get document summary"


@pytest.mark.parametrize("answer", [{}, [], {"result": {}}, {"error": "API rate limit"}])
def test_an_answer_that_is_not_esummary_is_refused(answer):
    with pytest.raises(ImportFileError, match="not an esummary result"):
        parse_esummary(answer)


@pytest.fixture
def pubmed(settings):
    settings.SYNC_RATE_LIMIT = 0
    app = SyntheticRegistry([], summaries={"99000123": synthetic_summary("99000123")})
    api = FakeApi(app=app)
    settings.PUBMED_EUTILS_URL = api.url
    yield api
    api.close()


@pytest.mark.django_db
def test_sync_pubmed_fills_only_the_empty_fields_and_reports_unknown_pmids(pubmed):
    from_registry = services.publication_get_or_create(
        title="", pmid="99000123", citation="Synthetic citation."
    )
    curated = services.publication_get_or_create(
        title="A curated title", pmid="99000124", journal="Curated Journal"
    )
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="partial"):
        call_command("sync_pubmed", stdout=out, stderr=err)

    from_registry.refresh_from_db()
    assert from_registry.title == "Synthetic paper 99000123"
    assert from_registry.journal == "Journal of Synthetic Test Data"
    assert (from_registry.year, from_registry.volume, from_registry.pages) == (
        2024,
        "12",
        "101-109",
    )
    assert from_registry.doi == "10.99999/synthetic.99000123"
    assert from_registry.pmcid == "PMC999000123"
    assert from_registry.citation == "Synthetic citation."  # the registry's words stay
    curated.refresh_from_db()
    assert (curated.title, curated.journal) == ("A curated title", "Curated Journal")
    assert "PMID 99000124: PubMed: cannot get document summary" in err.getvalue()
    run = SyncRun.objects.get(kind="pubmed")
    assert (run.seen, run.updated, run.errors, run.outcome) == (2, 1, 1, "partial")
    requests = [query for path, query, _ in pubmed.seen if path == "/esummary.fcgi"]
    assert len(requests) == 1 and "99000123%2C99000124" in requests[0]  # one batch


@pytest.mark.django_db
def test_a_second_pubmed_run_has_nothing_left_to_fill(pubmed):
    services.publication_get_or_create(title="", pmid="99000123")
    call_command("sync_pubmed", stdout=io.StringIO())
    pubmed.seen.clear()
    call_command("sync_pubmed", stdout=io.StringIO())
    # Every field is filled now, so the publication is not asked for again.
    assert pubmed.seen == []
    assert Publication.objects.get(pmid="99000123").title


@pytest.mark.django_db
def test_a_doi_another_publication_holds_is_left_out_not_duplicated(pubmed):
    services.publication_get_or_create(title="Older row", doi="10.99999/synthetic.99000123")
    target = services.publication_get_or_create(title="", pmid="99000123")
    call_command("sync_pubmed", stdout=io.StringIO())
    target.refresh_from_db()
    assert target.doi == "" and target.title == "Synthetic paper 99000123"


@pytest.mark.django_db
def test_a_pubmed_dry_run_writes_nothing(pubmed):
    target = services.publication_get_or_create(title="", pmid="99000123")
    out = io.StringIO()
    call_command("sync_pubmed", "--dry-run", stdout=out)
    assert "PMID 99000123: filled title" in out.getvalue()
    target.refresh_from_db()
    assert target.title == "" and not SyncRun.objects.exists()


@pytest.mark.django_db
def test_a_filled_journal_makes_a_registry_results_paper_count_in_the_list(pubmed, client):
    """The registry's RESULT reference has no journal, so it is not yet a peer-reviewed results
    paper; once PubMed names the journal, the trial's has_publication facet says so."""
    from tests.helpers import approved, full_trial
    from trials.models import PublicationRole

    trial = full_trial(1)
    publication = services.publication_get_or_create(title="", pmid="99000123")
    services.publication_link(trial=trial, publication=publication, role=PublicationRole.RESULTS)
    approved(trial)
    url = "/trials/?has_publication=yes"
    assert trial.title not in client.get(url).content.decode()
    call_command("sync_pubmed", stdout=io.StringIO())
    assert trial.title in client.get(url).content.decode()
