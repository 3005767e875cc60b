"""Citations: "Cite this record" (RIS and BibTeX of the record itself) and /trials/export.ris
(the publications of any result set), which our own RIS importer reads back."""

import bibtexparser
import pytest
from django.utils import timezone

from tests.helpers import TrialFactory, approve_all, browse_catalogue, full_trial
from trials import services
from trials.ingest.parsers.ris import parse_ris
from trials.models import Publication, Workflow

pytestmark = pytest.mark.django_db


def test_every_trial_page_offers_its_citation(client):
    trial = full_trial(1, acronym="CITE")
    html = client.get(trial.get_absolute_url()).content.decode()
    assert '<h2 id="cite-heading">Cite this record</h2>' in html
    assert f'href="/trials/{trial.slug}/cite.ris"' in html
    assert f'href="/trials/{trial.slug}/cite.bib"' in html
    assert f"http://testserver/trials/{trial.slug}/" in html


def test_the_record_as_ris_has_its_url_and_access_date(client):
    trial = full_trial(2, acronym="CITE")
    response = client.get(f"/trials/{trial.slug}/cite.ris")
    assert response["Content-Type"] == "application/x-research-info-systems; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{trial.slug}.ris"'
    [record] = parse_ris(response.content)
    assert record.type == "DBASE"
    assert record.title == str(trial)
    assert record.url == f"http://testserver/trials/{trial.slug}/"
    assert record.raw["Y2"] == [timezone.localdate().strftime("%Y/%m/%d")]
    assert {identifier for _registry, identifier in record.registry_ids} == {
        "NCT90000002",
        "2020-000002-11",
    }


def test_the_record_as_bibtex_parses(client):
    trial = full_trial(3, acronym="C&T_{50%}", title="A #1 trial of ~cells~ with $ and \\ in it")
    response = client.get(f"/trials/{trial.slug}/cite.bib")
    assert response["Content-Type"] == "application/x-bibtex; charset=utf-8"
    database = bibtexparser.loads(response.content.decode())
    [entry] = database.entries
    assert entry["ENTRYTYPE"] == "misc"
    assert entry["url"] == f"http://testserver/trials/{trial.slug}/"
    assert entry["urldate"] == timezone.localdate().isoformat()
    assert "NCT90000003" in entry["note"]
    assert r"C\&T\_\{50\%\}" in entry["title"]  # escaped, so LaTeX typesets it as written


@pytest.mark.parametrize("workflow", [Workflow.DRAFT, Workflow.IN_REVIEW, Workflow.WITHDRAWN])
def test_unpublished_trials_cannot_be_cited(client, workflow):
    trial = TrialFactory(workflow=workflow)
    for suffix in ("cite.ris", "cite.bib"):
        assert client.get(f"/trials/{trial.slug}/{suffix}").status_code == 404


def test_export_ris_round_trips_through_our_importer(client):
    trials = [full_trial(n) for n in range(3)]
    paper = services.publication_get_or_create(
        title="Synthetic shared paper: MSC–NTF, 2 trials",
        doi="10.5555/shared.1",
        pmid="31234567",
        journal="Synthetic Neurology",
        year=2021,
        volume="12",
        issue="3",
        pages="75–85",
        authors="Rudnik, Agata\nAdler, D.G.\nMüller-Smith, Jo",
    )
    for trial in trials[:2]:
        services.publication_link(trial=trial, publication=paper, role="primary_results")
    approve_all()
    response = client.get("/trials/export.ris")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-research-info-systems; charset=utf-8"
    records = {record.doi: record for record in parse_ris(response.content)}
    # Each paper once, the shared one included, with the ids of the trials it reports on.
    assert set(records) == {p.doi for p in Publication.objects.all()}
    shared = records["10.5555/shared.1"]
    assert shared.title == paper.title
    assert shared.authors == ("Rudnik, Agata", "Adler, D.G.", "Müller-Smith, Jo")
    assert (shared.journal, shared.year, shared.volume, shared.issue, shared.pages) == (
        "Synthetic Neurology",
        2021,
        "12",
        "3",
        "75–85",
    )
    assert shared.pmid == "31234567"
    assert {i for _r, i in shared.registry_ids} >= {"NCT90000000", "NCT90000001"}
    for publication in Publication.objects.exclude(pk=paper.pk):
        record = records[publication.doi]
        assert (record.title, record.year) == (publication.title, publication.year)


def test_export_ris_follows_the_filters_and_refuses_bad_ones(client):
    browse_catalogue()
    full_trial(5, conditions=["als"])
    full_trial(6, conditions=["rrms"])
    records = parse_ris(client.get("/trials/export.ris?condition=als").content)
    assert [r.doi for r in records] == ["10.5555/synthetic.5"]
    assert [i for _r, i in records[0].registry_ids][:1] == ["NCT90000005"]
    response = client.get("/trials/export.ris?condition=nope")
    assert response.status_code == 400
    assert "Condition: there is no “nope” in the tracker." in response.content.decode()


def test_the_list_links_to_the_ris_of_its_results(client):
    html = client.get("/trials/?condition=als&page=2").content.decode()
    assert 'href="/trials/export.ris?condition=als"' in html
