"""What patients and researchers do, in a real browser, with the keyboard too; and axe-core."""

import csv
import io
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.helpers import tab_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_patient_finds_intrathecal_msc_trials_for_als_and_comes_back(page, demo_site):
    page.goto(demo_site.url + "/")
    page.get_by_role("link", name="Amyotrophic lateral sclerosis (ALS)").first.click()
    # The whole demo catalogue (issue 9): 40 ALS records, 35 trials and 5 clinic listings.
    expect(page.get_by_role("heading", name=re.compile(r"^40 trials match"))).to_be_visible()

    page.locator("summary", has_text="Cell type").click()
    page.get_by_label(re.compile(r"^Mesenchymal stem/stromal cells \(MSC\)")).check()
    page.locator("summary", has_text="Route").click()
    page.get_by_label(re.compile(r"^Intrathecal \(IT\)")).check()
    page.get_by_role("button", name="Show results").first.click()

    expect(page).to_have_url(re.compile(r"condition=als.*cell_type=msc.*route=intrathecal"))
    heading = page.get_by_role("heading", name=re.compile(r"trials? match"))
    expect(heading).to_have_text(re.compile(r"^18 trials match"))
    expect(
        page.get_by_role("link", name=re.compile(r"Remove filter Route: Intrathecal"))
    ).to_be_visible()
    filtered_url = page.url

    page.locator(".trial-card h3 a").first.click()
    expect(page.get_by_role("heading", name="At a glance")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Intrathecal (IT)")
    expect(page.locator("main")).to_contain_text("Amyotrophic lateral sclerosis (ALS)")

    page.go_back()
    assert page.url == filtered_url
    expect(page.get_by_label(re.compile(r"^Intrathecal \(IT\)"))).to_be_checked()
    expect(heading).to_have_text(re.compile(r"^18 trials match"))


def test_researcher_searches_nurown_and_downloads_the_csv(page, demo_site):
    page.goto(demo_site.url + "/")
    page.get_by_label("Search trials by name, cells, sponsor or registry id").fill("NurOwn")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/trials/\?q=NurOwn"))
    cards = page.locator(".trial-card")
    expect(cards).to_have_count(5)  # NurOwn in ALS (phases 1/2, 2a, 2, 3) and in MS

    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV").click()
    download = download_info.value
    assert download.suggested_filename == "cell-therapy-trials.csv"
    with open(download.path(), encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read())))
    assert {row["registry_ids"] for row in rows} == {
        "NCT03280056",
        "NCT02017912",
        "NCT01051882",
        "NCT01777646",
        "NCT03799718",
    }
    assert all(row["cell_types"] == "msc-ntf" for row in rows)


def test_the_list_is_usable_with_the_keyboard_alone(page, demo_site):
    page.goto(demo_site.url + "/trials/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"

    tab_to(page, "#f-condition-als")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "focused controls must show where the focus is"
    page.keyboard.press("Space")
    tab_to(page, "#facet-phase")
    page.keyboard.press("Enter")  # opens the Phase facet
    tab_to(page, "#f-phase-PHASE3")
    page.keyboard.press("Space")
    tab_to(page, "form.filters button[type=submit]")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"condition=als.*phase=PHASE3"))
    expect(page.locator(".trial-card")).to_have_count(2)  # NurOwn phase 3 and ALSUMMIT
    tab_to(page, ".trial-card h3 a")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="At a glance")).to_be_visible()


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/trials/?condition=als&route=intrathecal&sort=enrollment",
        "/trials/?condition=nope",
        "/trials/NCT03282760/",
        "/trials/stem-plus-bulgaria-ms-clinic/",
        "/conditions/ms/",
        "/cell-types/msc/",
    ],
)
def test_pages_have_no_axe_violations(page, demo_site, path):
    page.goto(demo_site.url + path)
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_phone_width_has_no_horizontal_scroll(page, demo_site):
    page.set_viewport_size({"width": 375, "height": 800})
    for path in ["/", "/trials/?condition=als", "/trials/NCT03280056/"]:
        page.goto(demo_site.url + path)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, (path, overflow)


def test_no_request_leaves_the_site(page, demo_site):
    outside = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if not request.url.startswith(demo_site.url) and not request.url.startswith("data:")
            else None
        ),
    )
    for path in ["/", "/trials/", "/trials/NCT03282760/"]:
        page.goto(demo_site.url + path)
    assert outside == []
