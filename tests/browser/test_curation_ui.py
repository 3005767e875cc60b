"""A curator adds a trial through the admin and submits it; a reviewer publishes it; the
public sees it. In a real browser, through the admin's own widgets (autocomplete, inlines)."""

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import restore_migration_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Synthetic browser-curated trial of intrathecal MSC in ALS"


@pytest.fixture
def staff(live_server, transactional_db, django_user_model):
    from django.contrib.auth.models import Group

    from accounts.roles import CURATORS, REVIEWERS

    restore_migration_data()
    for username, group in (("carla", CURATORS), ("ravi", REVIEWERS)):
        user = django_user_model.objects.create_user(
            username=username, password="browser-pass-123", is_staff=True
        )
        user.groups.add(Group.objects.get(name=group))
    return live_server


def log_in(page, url, username):
    page.goto(url + "/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("browser-pass-123")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#user-tools")).to_contain_text(username)


def autocomplete(page, select_id, text, option):
    """Pick a value in one of the admin's select2 autocomplete widgets."""
    page.locator(f"#{select_id} + .select2").click()
    search = page.locator(".select2-container--open .select2-search__field")
    search.fill(text)
    page.locator(".select2-results__option", has_text=option).first.click()


def test_curator_adds_and_submits_a_trial_and_a_reviewer_publishes_it(
    page, browser, staff, request
):
    log_in(page, staff.url, "carla")
    page.goto(staff.url + "/admin/trials/trial/add/")
    page.get_by_label("Title:").fill(TITLE)
    page.get_by_label("Acronym:").press_sequentially("SYNTH-BROWSER")
    expect(page.get_by_label("Slug:")).to_have_value("synth-browser")  # the admin's own JS
    autocomplete(page, "id_conditions", "amyotrophic", "Amyotrophic lateral sclerosis")
    page.get_by_label("Phase:").select_option(label="Phase 1")
    page.get_by_label("Status:").select_option(label="Completed")

    page.get_by_text("Add another Intervention").click()
    page.locator("#id_interventions-0-label").fill("Synthetic MSC arm")
    autocomplete(page, "id_interventions-0-cell_type", "bone", "Bone-marrow MSC")
    autocomplete(page, "id_interventions-0-routes", "intrathecal", "Intrathecal")
    page.locator("#id_interventions-0-origin").select_option("autologous")

    page.get_by_text("Add another Outcome").click()
    page.locator("#id_outcomes-0-measure").fill("Adverse events")
    page.locator("#id_outcomes-0-time_frame").fill("12 months")

    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    expect(page.locator(".fieldBox.field-workflow")).to_contain_text("Draft")

    page.get_by_role("link", name="Submit for review").click()
    page.get_by_label("Comment").fill("Ready: arm and outcome entered from the registry")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator(".fieldBox.field-workflow")).to_contain_text("In review")

    # Not public yet. (Extra pages are closed at the end, so that no browser connection
    # outlives the test and its live server.)
    public = browser.new_page()
    request.addfinalizer(public.context.close)
    public.goto(staff.url + "/trials/?q=browser-curated")
    expect(public.get_by_role("heading", name=re.compile(r"^0 trials match"))).to_be_visible()

    reviewer = browser.new_page()
    request.addfinalizer(reviewer.context.close)
    log_in(reviewer, staff.url, "ravi")
    reviewer.goto(staff.url + "/admin/trials/trial/?queue=submitted")
    reviewer.get_by_role("link", name=re.compile("Synthetic browser-curated")).click()
    expect(reviewer.locator(".field-review_log")).to_contain_text("Ready: arm and outcome")
    reviewer.get_by_role("link", name="Publish").click()
    reviewer.get_by_role("button", name="Publish").click()
    expect(reviewer.locator(".fieldBox.field-workflow")).to_contain_text("Published")

    public.goto(staff.url + "/trials/")
    public.get_by_role("link", name=re.compile("Synthetic browser-curated")).click()
    expect(public.locator("main")).to_contain_text("Intrathecal")
    expect(public.locator("main")).to_contain_text("Adverse events")


def test_curator_uploads_a_registry_json_file_and_opens_the_draft(page, staff):
    from pathlib import Path

    fixture = (
        Path(__file__).resolve().parents[1]
        / "trials"
        / "ingest"
        / "fixtures"
        / "ctgov"
        / "nurown-phase3-NCT03280056.json"
    )
    log_in(page, staff.url, "carla")
    page.goto(staff.url + "/admin/trials/registryrecord/")
    page.get_by_role("link", name="Import ClinicalTrials.gov files").click()
    page.get_by_label("Study JSON files").set_input_files(str(fixture))
    page.get_by_role("button", name="Import").click()

    results = page.locator("#import-results")
    expect(results).to_contain_text("NCT03280056")
    expect(results).to_contain_text("created")
    results.get_by_role("link", name=re.compile("mesenchymal stem cells induced")).click()

    expect(page.locator(".fieldBox.field-workflow")).to_contain_text("Draft")
    expect(page.locator("#id_interventions-0-label")).to_have_value("MSC-NTF")
    expect(page.locator("#id_registry_ids-0-identifier")).to_have_value("NCT03280056")
    page.get_by_role("link", name="History").click()
    expect(page.locator("#change-history")).to_contain_text("Imported from ClinicalTrials.gov")
