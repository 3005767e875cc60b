import datetime

import pytest

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
