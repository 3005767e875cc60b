"""Pure value-in/value-out helpers that turn stored values into plain words."""

import datetime
from decimal import Decimal

from trials.choices import DatePrecision, DoseUnit


def partial_date(value: datetime.date | None, precision: str) -> str:
    """'9 September 2017', 'December 2011' or '2011', as precise as the source was."""
    if value is None:
        return ""
    if precision == DatePrecision.YEAR:
        return str(value.year)
    if precision == DatePrecision.MONTH:
        return f"{value:%B} {value.year}"
    return f"{value.day} {value:%B} {value.year}"


def cell_count(number: int) -> str:
    """100000 → '100,000'; 5000000 → '5 million'; 700000 → '0.7 million'."""
    if number >= 1_000_000_000:
        return f"{_trim(Decimal(number) / 1_000_000_000)} billion"
    if number >= 500_000 and number % 10_000 == 0:
        return f"{_trim(Decimal(number) / 1_000_000)} million"
    return f"{number:,}"


def _trim(value: Decimal) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text


def dose(dose_min: int | None, dose_max: int | None, unit: str) -> str:
    """'5 million – 24 million cells', '0.42 million cells/kg', or '' when no dose is known."""
    if dose_min is None and dose_max is None:
        return ""
    unit_label = DoseUnit(unit).label if unit else ""
    if dose_min is None:
        amount = f"up to {cell_count(dose_max)}"
    elif dose_max is None or dose_min == dose_max:
        amount = cell_count(dose_min)
    else:
        amount = f"{cell_count(dose_min)} – {cell_count(dose_max)}"
    return f"{amount} {unit_label}".strip()
