"""The Content Security Policy breaks nothing: public pages and the admin's JavaScript (inline
formsets, select2 autocomplete, actions, calendar, prepopulated slug) run in Chromium with no
CSP violation, under the exact policy production sends."""

import pytest
from playwright.sync_api import expect

from tests.helpers import Watch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-test-superuser-pass-7"


@pytest.fixture
def admin_site(demo_site, django_user_model):
    django_user_model.objects.create_superuser("sue", "sue@example.org", PASSWORD)
    return demo_site


def sign_in(watch, base):
    page = watch.page
    watch.goto(base + "/admin/login/?next=/admin/")
    watch.assert_clean("admin login")
    page.get_by_label("Username").fill("sue")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Curation")).to_be_visible()
    watch.assert_clean("admin index")


def test_public_pages_run_under_the_policy(page, demo_site):
    watch = Watch(page)
    base = demo_site.url
    for path in ["/", "/trials/?condition=als", "/conditions/ms/", "/no-such-page/"]:
        watch.goto(base + path)
        watch.assert_clean(path)

    # A trial page, and its report form posted and answered (form-action, redirect, message).
    watch.goto(base + "/trials/NCT03282760/")
    page.get_by_label("What is wrong or missing?").fill("The <b>dose</b> is wrong.")
    page.get_by_role("button", name="Send report").click()
    expect(page.locator("#report-message_error")).to_be_visible()
    watch.assert_clean("report form with an error")
    page.get_by_label("What is wrong or missing?").fill("The follow-up was 18 months, not 12.")
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_text("Thank you. Your report has been sent")).to_be_visible()
    watch.assert_clean("report form sent")


def test_the_admin_works_under_the_policy(page, admin_site):
    watch = Watch(page)
    base = admin_site.url
    sign_in(watch, base)

    # The change list: filters, search, and the actions dropdown with a row selected.
    watch.goto(base + "/admin/trials/trial/")
    page.locator("input.action-select").first.check()
    expect(page.locator(".action-counter")).to_contain_text("1 of")
    page.locator("select[name=action]").select_option("submit")
    watch.assert_clean("trial change list")

    # The change form of a demo trial: add inline rows (inlines.js), open select2 on a new
    # arm and on the conditions, open the calendar.
    page.locator("#result_list tbody th a").first.click()
    expect(page.locator("#trial_form")).to_be_visible()
    total = page.locator("#id_registry_ids-TOTAL_FORMS")
    before = int(total.input_value())
    page.locator("#registry_ids-group a.addlink").click()
    expect(total).to_have_value(str(before + 1))
    page.locator("#interventions-group a.addlink").click()
    arms = page.locator(".dynamic-interventions")
    new_arm = arms.last
    new_arm.locator(".field-cell_type .select2-selection").click()
    expect(page.locator(".select2-results__option").first).to_be_visible()
    page.keyboard.press("Escape")
    page.locator(".field-conditions .select2-selection").click()
    page.locator(".select2-search__field").last.fill("progress")
    expect(page.locator(".select2-results__option", has_text="Progressive")).not_to_have_count(0)
    page.keyboard.press("Escape")
    page.locator("#id_start_date + .datetimeshortcuts button[id^=calendarlink]").focus()
    page.keyboard.press("Enter")  # the calendar (a modal <dialog> placed by script)
    page.wait_for_function("[...document.querySelectorAll('dialog.calendarbox')].some(d => d.open)")
    page.keyboard.press("Escape")
    watch.assert_clean("trial change form")

    # The add form: the slug fills itself in from the acronym (prepopulate.js).
    watch.goto(base + "/admin/trials/trial/add/")
    page.locator("#id_acronym").press_sequentially("CSP Test")  # keyup drives prepopulate.js
    expect(page.locator("#id_slug")).to_have_value("csp-test")
    watch.assert_clean("trial add form")

    # The public problem reports queue.
    watch.goto(base + "/admin/trials/problemreport/")
    watch.assert_clean("report queue")


def test_the_watch_does_see_a_violation(page, demo_site):
    # The detector itself: an inline style attribute set by script is a style-src violation.
    watch = Watch(page)
    watch.goto(demo_site.url + "/")
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    page.wait_for_function("window.__violations.length > 0")
    with pytest.raises(AssertionError):
        watch.assert_clean("deliberate violation")
