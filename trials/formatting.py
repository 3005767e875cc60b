"""Pure value-in/value-out helpers that turn stored values into plain words."""

import datetime
from decimal import Decimal

from django.utils import timezone

from trials.choices import DatePrecision, DoseUnit, ListingType, StatusSource


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


def short_date(value: datetime.date | None, precision: str) -> str:
    """'5 Feb 2024', 'Nov 2012' or '2012': a compact partial date for badges and cards."""
    if value is None:
        return ""
    if precision == DatePrecision.YEAR:
        return str(value.year)
    if precision == DatePrecision.MONTH:
        return f"{value:%b} {value.year}"
    return f"{value.day} {value:%b} {value.year}"


# How a status check reads after the status: "Completed — registry, checked Nov 2012".
STATUS_SOURCE_WORDS = {
    StatusSource.REGISTRY_VERIFIED: "registry, checked",
    StatusSource.REGISTRY_UPDATED: "registry, last updated",
    StatusSource.PAGE_DATED: "source page dated",
    StatusSource.PAGE_READ: "source page read",
    StatusSource.PAGE_UNDATED: "source page, undated",
}


def status_check(source: str, checked: datetime.date | None, precision: str) -> str:
    """'registry, checked Nov 2012', 'source page dated 5 Feb 2024', 'source page, undated',
    or '' when nothing says when the status was true."""
    if not source:
        return ""
    words = STATUS_SOURCE_WORDS.get(source, StatusSource(source).label)
    when = short_date(checked, precision)
    return f"{words} {when}".strip()


def period_end(value: datetime.date, precision: str) -> datetime.date:
    """The last day a partial date can mean: 'Nov 2012' may be as late as 30 November."""
    if precision == DatePrecision.YEAR:
        return datetime.date(value.year, 12, 31)
    if precision == DatePrecision.MONTH:
        next_month = (value.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        return next_month - datetime.timedelta(days=1)
    return value


def status_possibly_out_of_date(
    status: str, checked: datetime.date | None, precision: str, *, today: datetime.date
) -> bool:
    """True when a status was last confirmed more than 12 months before `today`, or when no
    date says when it was true. Statuses change; an old one may no longer hold."""
    if not status:
        return False
    if checked is None:
        return True
    try:
        a_year_ago = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        a_year_ago = today.replace(year=today.year - 1, day=28)
    return period_end(checked, precision) < a_year_ago


def iso_partial(value: datetime.date | None, precision: str) -> str | None:
    """'2012', '2012-11' or '2012-11-05': ISO 8601 as precise as the date is."""
    if value is None:
        return None
    if precision == DatePrecision.YEAR:
        return f"{value.year:04d}"
    if precision == DatePrecision.MONTH:
        return f"{value.year:04d}-{value.month:02d}"
    return value.isoformat()


def number_range(low, high, unit: str = "") -> str:
    """'18–65 years', 'at least 30', 'up to 24 months', or '' when neither end is stated."""
    suffix = f" {unit}" if unit else ""
    if low is not None and high is not None:
        return f"{low}–{high}{suffix}" if low != high else f"{low}{suffix}"
    if low is not None:
        return f"at least {low}{suffix}"
    if high is not None:
        return f"up to {high}{suffix}"
    return ""


def age_from_months(months: int | None):
    """Registry ages in years where they are whole years (216 → 18), else in months."""
    if months is None:
        return None
    return months // 12 if months % 12 == 0 else None


def eligibility_sentences(trial) -> list[str]:
    """A trial's structured eligibility in plain words, one sentence per stated fact."""
    sentences = []
    low, high = trial.age_min_months, trial.age_max_months
    if low is not None or high is not None:
        whole = all(m is None or m % 12 == 0 for m in (low, high))
        if whole:
            ages = number_range(age_from_months(low), age_from_months(high), "years old")
        else:
            ages = number_range(low, high, "months old")
        sentences.append(f"Age: {ages}.")
    if trial.sex in ("FEMALE", "MALE"):
        sentences.append(
            "Only women can take part." if trial.sex == "FEMALE" else "Only men can take part."
        )
    elif trial.sex == "ALL":
        sentences.append("People of any sex can take part.")
    if trial.edss_min is not None or trial.edss_max is not None:
        sentences.append(f"MS disability (EDSS): {number_range(trial.edss_min, trial.edss_max)}.")
    if trial.alsfrs_min is not None:
        sentences.append(f"ALS function (ALSFRS-R): at least {trial.alsfrs_min} of 48.")
    if trial.onset_max_months is not None:
        sentences.append(
            f"First ALS symptoms no more than {trial.onset_max_months} months before joining."
        )
    if trial.fvc_min_percent is not None:
        sentences.append(
            f"Breathing (forced vital capacity): at least {trial.fvc_min_percent}% of predicted."
        )
    return sentences


class ListedFacts:
    """What a trial's page and its list row (a card, browse/cards.py) both say of it, read from
    the trial's own columns: one definition for a model instance and for a row of values. A
    card sets `today` once for its page; a trial asks the clock."""

    @property
    def is_clinic_offering(self) -> bool:
        return self.listing_type == ListingType.CLINIC

    @property
    def status_check_display(self) -> str:
        """'registry, checked Nov 2012': when and by what the status was confirmed."""
        return status_check(self.status_source, self.status_checked, self.status_checked_precision)

    @property
    def status_possibly_out_of_date(self) -> bool:
        return status_possibly_out_of_date(
            self.status,
            self.status_checked,
            self.status_checked_precision,
            today=getattr(self, "today", None) or timezone.localdate(),
        )

    @property
    def enrollment(self) -> int | None:
        """The best single number for 'how many people': actual when known, else target."""
        return (
            self.actual_enrollment if self.actual_enrollment is not None else self.target_enrollment
        )
