"""For search engines: sitemap.xml, robots.txt, schema.org JSON-LD on trial pages, canonical
URLs, and titles and descriptions that say what each page is."""

import json
import re
import xml.etree.ElementTree as ET

import pytest

from tests.helpers import MARKER, NOTE, TrialFactory, approve_all, browse_catalogue, full_trial
from trials import services
from trials.models import Condition, Trial, Workflow

pytestmark = pytest.mark.django_db
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def jsonld(html: str) -> dict:
    [block] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(block)


def test_the_sitemap_lists_published_trials_and_browse_pages_only(client):
    browse_catalogue()
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    urls = {u.findtext(f"{SITEMAP}loc"): u.findtext(f"{SITEMAP}lastmod") for u in root}
    published = Trial.objects.published()
    for trial in published:
        assert (
            urls[f"http://testserver{trial.get_absolute_url()}"] == f"{trial.updated_at:%Y-%m-%d}"
        )
    assert "http://testserver/" in urls and "http://testserver/trials/" in urls
    for condition in Condition.objects.all():
        assert f"http://testserver/conditions/{condition.slug}/" in urls
    assert (
        "http://testserver/cell-types/msc/" in urls
        and "http://testserver/routes/intrathecal/" in urls
    )
    trial_urls = [u for u in urls if re.fullmatch(r"http://testserver/trials/[^/]+/", u)]
    assert len(trial_urls) == published.count() == 7
    assert MARKER.lower() not in response.content.decode().lower()


def test_robots_txt_points_to_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert "Sitemap: http://testserver/sitemap.xml" in lines
    assert "Disallow: /admin/" in lines and "User-agent: *" in lines


def test_a_trial_page_carries_its_medical_trial_json_ld(client):
    trial = full_trial(
        1,
        acronym="LD",
        phase="PHASE1_PHASE2",
        status="RECRUITING",
        start_date="2021-03-01",
        start_date_precision="month",
        curator_notes=NOTE,
        summary="Plain words.",
    )
    data = jsonld(client.get(trial.get_absolute_url()).content.decode())
    assert data["@context"] == "https://schema.org" and data["@type"] == "MedicalTrial"
    assert data["name"] == trial.title and data["alternateName"] == "LD"
    assert data["url"] == f"http://testserver{trial.get_absolute_url()}"
    assert {i["value"] for i in data["identifier"]} == {"NCT90000001", "2020-000001-11"}
    assert data["phase"] == "Phase 1/2"
    assert data["status"] == "https://schema.org/Recruiting"
    assert data["healthCondition"][0]["name"] == "Multiple sclerosis"
    assert data["sponsor"] == {"@type": "Organization", "name": "Synthetic sponsor 1"}
    assert data["startDate"] == "2021-03"
    assert NOTE not in json.dumps(data)
    assert set(data) <= {
        "@context",
        "@type",
        "@id",
        "url",
        "name",
        "alternateName",
        "description",
        "identifier",
        "phase",
        "status",
        "healthCondition",
        "sponsor",
        "startDate",
        "endDate",
    }


def test_json_ld_cannot_be_broken_out_of(client):
    trial = TrialFactory(title='Synthetic </script><script>alert("x")</script> & <!-- trial')
    html = client.get(trial.get_absolute_url()).content.decode()
    assert "</script><script>" not in html
    assert jsonld(html)["name"] == trial.title  # still the exact title once parsed


@pytest.mark.parametrize("workflow", [Workflow.DRAFT, Workflow.IN_REVIEW, Workflow.WITHDRAWN])
def test_unpublished_trials_have_no_json_ld_or_sitemap_entry(client, workflow):
    trial = TrialFactory(workflow=workflow, title=f"{MARKER} {workflow}")
    assert client.get(trial.get_absolute_url()).status_code == 404
    assert MARKER not in client.get("/sitemap.xml").content.decode()


@pytest.mark.parametrize(
    "url, canonical",
    [
        ("/", "http://testserver/"),
        ("/trials/?condition=als&page_size=10", "http://testserver/trials/?condition=als"),
        ("/conditions/als/", "http://testserver/conditions/als/"),
    ],
)
def test_pages_name_their_canonical_url(client, url, canonical):
    browse_catalogue()
    assert f'<link rel="canonical" href="{canonical}">' in client.get(url).content.decode()


def test_trial_pages_name_their_canonical_url_even_by_registry_id(client):
    trial = full_trial(4)
    html = client.get("/trials/NCT90000004/", follow=True).content.decode()
    assert f'<link rel="canonical" href="http://testserver{trial.get_absolute_url()}">' in html


def _head(html):
    title = re.search(r"<title>(.*?)</title>", html, re.S)[1]
    description = re.search(r'<meta name="description" content="(.*?)">', html, re.S)[1]
    return title, description


def test_titles_and_descriptions_say_what_the_page_is(client):
    browse_catalogue()
    title, description = _head(
        client.get("/trials/?condition=als&status=RECRUITING").content.decode()
    )
    assert title == (
        "Trials: Condition: Amyotrophic lateral sclerosis (ALS); Status: Recruiting — "
        "Cell Therapy Trial Tracker"
    )
    assert description.startswith("1 published cell-therapy trial matching Condition:")
    title, description = _head(client.get("/trials/").content.decode())
    assert title == "All cell-therapy trials for MS and ALS — Cell Therapy Trial Tracker"
    title, description = _head(client.get("/conditions/als/").content.decode())
    assert title.startswith("Amyotrophic lateral sclerosis (ALS): cell-therapy trials")
    assert description.startswith("3 published cell-therapy trials for condition")
    trial = TrialFactory(title="Synthetic described trial", phase="PHASE2", status="COMPLETED")
    title, description = _head(client.get(trial.get_absolute_url()).content.decode())
    assert title == "Synthetic described trial — Cell Therapy Trial Tracker"
    assert description == "Registered trial, phase 2, completed: Synthetic described trial"
    services.trial_update(trial=trial, summary="What was tested, in plain words.")
    approve_all()
    assert _head(client.get(trial.get_absolute_url()).content.decode())[1] == (
        "What was tested, in plain words."
    )
