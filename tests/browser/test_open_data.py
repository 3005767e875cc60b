"""The open-data pages in Chromium under the production CSP: the API documentation (Swagger UI
from our own static files, started by a static script), a trial page with its JSON-LD and
"Cite this record", and the list with "Follow this search". No violation, no script error, no
request leaves the site. SCREENSHOTS=<folder> saves what the pages look like."""

import json
import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.helpers import Watch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shoot(page, name):
    folder = os.environ.get("SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def only_local_requests(page, base):
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) else None)
    return outside


def test_the_api_documentation_runs_under_the_policy(page, demo_site):
    watch = Watch(page)
    outside = only_local_requests(page, demo_site.url)
    response = watch.goto(demo_site.url + "/api/v1/docs/")
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    # Swagger UI has fetched the schema and drawn every operation.
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/trials/").first).to_be_visible()
    expect(page.locator(".opblock")).to_have_count(6)
    page.locator(".opblock-summary", has_text="/api/v1/stats/").click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    expect(page.locator(".live-responses-table .response .response-col_status")).to_have_text("200")
    shoot(page, "api-docs")
    watch.assert_clean("API docs")
    assert outside == []


def test_a_trial_page_has_json_ld_and_a_citation_under_the_policy(page, demo_site):
    watch = Watch(page)
    watch.goto(demo_site.url + "/trials/NCT03282760/")
    data = json.loads(page.locator('script[type="application/ld+json"]').text_content())
    assert data["@type"] == "MedicalTrial"
    assert {i["value"] for i in data["identifier"]} >= {"NCT03282760"}
    cite = page.get_by_role("region", name="Cite this record")
    expect(cite).to_contain_text("Cell Therapy Trial Tracker.")
    with page.expect_download() as download:
        cite.get_by_role("link", name="BibTeX").click()
    assert download.value.suggested_filename.endswith(".bib")
    cite.scroll_into_view_if_needed()
    shoot(page, "trial-cite")
    watch.assert_clean("trial page")
    assert Axe().run(page).violations_count == 0


def test_the_list_offers_to_follow_its_search(page, demo_site):
    watch = Watch(page)
    watch.goto(demo_site.url + "/trials/?condition=als")
    link = page.get_by_role("link", name="Follow this search")
    expect(link).to_have_attribute("href", "/trials/feed/?condition=als")
    shoot(page, "list-follow")
    watch.assert_clean("list")
    assert Axe().run(page).violations_count == 0
    feed = page.request.get(demo_site.url + "/trials/feed/?condition=als")
    assert feed.ok and "<entry>" in feed.text()
