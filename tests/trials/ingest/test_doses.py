"""Free text → dose, number of administrations and interval, one table each (the samples are
phrases as registries write them)."""

import pytest

from trials.ingest.parsers import doses
from trials.ingest.parsers.doses import Dose


@pytest.mark.parametrize(
    ("text", "dose"),
    [
        ("100–125 ×10⁶ cells", Dose(100_000_000, 125_000_000, "cells")),
        ("5, 10, 16 or 24 million hNSCs", Dose(5_000_000, 24_000_000, "cells")),
        ("0.7, 1.4, 2.8, 5.7 ×10⁶ cells/kg (±10%)", Dose(700_000, 5_700_000, "cells_per_kg")),
        ("mean 0.42 ×10⁶ cells/kg", Dose(420_000, 420_000, "cells_per_kg")),
        ("1 x 10^6 MSC/kg", Dose(1_000_000, 1_000_000, "cells_per_kg")),
        ("1-2 x 10e6 cells per kilogram body weight", Dose(1_000_000, 2_000_000, "cells_per_kg")),
        ("30 ×10⁶ cells", Dose(30_000_000, 30_000_000, "cells")),
        ("100,000 cells per injection, up to 1.5 million cells", Dose(100_000, 1_500_000, "cells")),
        ("1.5 million autologous MSC-NTF cells", Dose(1_500_000, 1_500_000, "cells")),
        ("a suspension of 50,000 cells/µL", None),  # a concentration
        ("cyclophosphamide 200 mg/kg", None),
        ("2 injections of cells", None),
        ("3 patients each", None),
        ("1 million cells/kg, up to 100 million cells", None),  # two units: a curator decides
        ("", None),
    ],
)
def test_parse_dose(text, dose):
    found = doses.parse_dose(text)
    if dose is None:
        assert found is None
    else:
        assert (found.min, found.max, found.unit) == (dose.min, dose.max, dose.unit)


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("3 intrathecal injections", 3),
        ("3 IT injections of 100–125 ×10⁶ cells", 3),
        ("Two intrathecal injections", 2),
        ("a single intrathecal dose", 1),
        ("Single dose per cohort", 1),
        ("6 injections every 2 months", 6),
        ("4 dose levels", None),
        ("single-dose-finding", None),
        ("3 microinjections of 15 µL per side", None),
        ("2 injections, then 3 injections", None),  # two numbers: not said once
        ("", None),
    ],
)
def test_parse_administrations(text, count):
    assert doses.parse_administrations(text) == count


@pytest.mark.parametrize(
    ("text", "interval"),
    [
        ("every 8 weeks", "every 8 weeks"),
        ("Every two months", "every two months"),
        ("2-month interval between injections", "2-month interval"),
        ("weekly", ""),
        ("", ""),
    ],
)
def test_parse_interval(text, interval):
    assert doses.parse_interval(text) == interval
