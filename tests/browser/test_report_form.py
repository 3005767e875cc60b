"""The report form with the keyboard alone, and its error state, pass axe-core."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from trials.models import ProblemReport

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def focused_id(page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.tagName")


def test_reporting_with_the_keyboard_skips_the_honeypot_and_errors_pass_axe(page, demo_site):
    page.goto(demo_site.url + "/trials/NCT03282760/")
    page.get_by_label("What is wrong or missing?").focus()
    page.keyboard.type("The <b>dose</b> in this record is wrong.")
    page.keyboard.press("Tab")
    assert focused_id(page) == "report-contact"
    page.keyboard.press("Tab")  # past the hidden honeypot, straight to the button
    assert focused_id(page) == "BUTTON"
    page.keyboard.press("Enter")

    error = page.locator("#report-message_error")
    expect(error).to_contain_text("Please write plain text")
    message = page.get_by_label("What is wrong or missing?")
    expect(message).to_have_attribute("aria-invalid", "true")
    expect(message).to_have_value("The <b>dose</b> in this record is wrong.")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()

    message.fill("The dose in this record is 1 million cells per kg, not 2 million.")
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("status")).to_contain_text("Thank you")
    assert ProblemReport.objects.count() == 1
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
