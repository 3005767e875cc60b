import datetime

import pytest

from trials import formatting
from trials.formatting import cell_count, dose, partial_date


@pytest.mark.parametrize(
    "precision, expected",
    [("day", "9 September 2017"), ("month", "September 2017"), ("year", "2017")],
)
def test_partial_dates_say_no_more_than_the_source(precision, expected):
    assert partial_date(datetime.date(2017, 9, 9), precision) == expected


def test_missing_date_is_blank():
    assert partial_date(None, "day") == ""


@pytest.mark.parametrize(
    "number, expected",
    [
        (100_000, "100,000"),
        (5_000_000, "5 million"),
        (700_000, "0.7 million"),
        (1_500_000, "1.5 million"),
        (125_000_000, "125 million"),
        (2_000_000_000, "2 billion"),
        (50, "50"),
    ],
)
def test_cell_counts_read_naturally(number, expected):
    assert cell_count(number) == expected


def test_dose_ranges_and_units():
    assert dose(5_000_000, 24_000_000, "cells") == "5 million – 24 million cells"
    assert (
        dose(700_000, 5_700_000, "cells_per_kg") == "0.7 million – 5.7 million cells/kg body weight"
    )
    assert dose(100_000, 100_000, "cells") == "100,000 cells"
    assert dose(None, 1_500_000, "cells") == "up to 1.5 million cells"
    assert dose(None, None, "") == ""


# --- Dated statuses (issue 9) ----------------------------------------------------------------

TODAY = datetime.date(2026, 11, 29)


@pytest.mark.parametrize(
    ("source", "checked", "precision", "text"),
    [
        ("registry_verified", datetime.date(2026, 10, 1), "month", "registry, checked Oct 2026"),
        (
            "registry_updated",
            datetime.date(2016, 3, 30),
            "day",
            "registry, last updated 30 Mar 2016",
        ),
        ("page_dated", datetime.date(2024, 2, 5), "day", "source page dated 5 Feb 2024"),
        ("page_read", datetime.date(2026, 11, 2), "day", "source page read 2 Nov 2026"),
        ("page_undated", None, "day", "source page, undated"),
        ("", None, "day", ""),
    ],
)
def test_status_check_says_by_what_and_when(source, checked, precision, text):
    assert formatting.status_check(source, checked, precision) == text


@pytest.mark.parametrize(
    ("status", "checked", "precision", "stale"),
    [
        ("COMPLETED", datetime.date(2026, 10, 1), "month", False),
        ("COMPLETED", datetime.date(2025, 11, 29), "day", False),  # exactly 12 months
        ("COMPLETED", datetime.date(2025, 11, 28), "day", True),
        ("COMPLETED", datetime.date(2025, 11, 1), "month", False),  # may mean 30 November
        ("COMPLETED", datetime.date(2025, 10, 1), "month", True),
        ("COMPLETED", datetime.date(2025, 1, 1), "year", False),  # may mean December
        ("COMPLETED", datetime.date(2024, 1, 1), "year", True),
        ("RECRUITING", None, "day", True),  # nothing says when it was true
        ("", None, "day", False),  # no status, nothing to be out of date
    ],
)
def test_status_older_than_twelve_months_is_possibly_out_of_date(status, checked, precision, stale):
    assert formatting.status_possibly_out_of_date(status, checked, precision, today=TODAY) is stale


def test_status_check_on_29_february_compares_with_28_february():
    leap = datetime.date(2028, 2, 29)
    assert not formatting.status_possibly_out_of_date(
        "COMPLETED", datetime.date(2027, 2, 28), "day", today=leap
    )


@pytest.mark.parametrize(
    ("precision", "text"), [("day", "2012-11-05"), ("month", "2012-11"), ("year", "2012")]
)
def test_iso_partial_is_as_precise_as_the_date(precision, text):
    assert formatting.iso_partial(datetime.date(2012, 11, 5), precision) == text
