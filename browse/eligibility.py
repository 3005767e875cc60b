""" "Could I take part?": the list parameters `age`, `edss`, `alsfrs` and `months_since_onset`.

A trial matches when the value lies within the range it states (edges included: a trial for
ages 18–65 takes someone of 18 and someone of 65). A trial that does not state a range for a
parameter is *kept* and marked "not stated" on its row: the sources do not say, so only the
trial team can answer. Only a stated range that excludes the value hides a trial.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from trials.formatting import number_range


@dataclass(frozen=True)
class Question:
    name: str
    label: str  # the panel's label
    chip: str  # "Age 55"
    lowest: Decimal
    highest: Decimal
    decimals: bool
    low_field: str | None  # the trial's lower bound (None: the trial states no lower bound)
    high_field: str | None
    scale: Decimal = Decimal(1)  # value × scale is in the stored unit (years → months)
    unit: str = ""
    condition: str = ""  # the condition the question is about, for the panel


QUESTIONS = [
    Question("age", "Your age (years)", "Age", Decimal(0), Decimal(120), False,
             "age_min_months", "age_max_months", Decimal(12), "years"),
    Question("edss", "MS: your EDSS score (0–10)", "EDSS", Decimal(0), Decimal(10), True,
             "edss_min", "edss_max", condition="ms"),
    Question("alsfrs", "ALS: your ALSFRS-R score (0–48)", "ALSFRS-R", Decimal(0), Decimal(48),
             False, "alsfrs_min", None, condition="als"),
    Question("months_since_onset", "ALS: months since your first symptoms",
             "Months since onset", Decimal(0), Decimal(600), False, None, "onset_max_months",
             unit="months", condition="als"),
]  # fmt: skip
BY_NAME = {q.name: q for q in QUESTIONS}
STATUS_PRESET = ["RECRUITING", "NOT_YET_RECRUITING"]


def clean(name: str, raw: str) -> tuple[str, str]:
    """(the clean value, "") or ("", a message naming the bad value)."""
    question = BY_NAME[name]
    pattern = r"\d{1,3}(\.\d)?" if question.decimals else r"\d{1,3}"
    if re.fullmatch(pattern, raw) and question.lowest <= Decimal(raw) <= question.highest:
        value = Decimal(raw)
        return (str(value) if question.decimals else str(int(value))), ""
    kind = "a number" if question.decimals else "a whole number"
    return "", (
        f"{question.chip}: “{raw[:60]}” is not {kind} from {question.lowest} to {question.highest}."
    )


def accepts(trial, name: str, value) -> bool:
    """`matching` for one trial in memory: its stated range includes `value`, or it states
    none."""
    question = BY_NAME[name]
    stored = Decimal(str(value)) * question.scale
    low = getattr(trial, question.low_field) if question.low_field else None
    high = getattr(trial, question.high_field) if question.high_field else None
    return (low is None or low <= stored) and (high is None or high >= stored)


def matching(name: str, value) -> Q:
    """Trials whose stated range includes `value`, or that state no range."""
    question = BY_NAME[name]
    stored = Decimal(str(value)) * question.scale
    q = Q()
    if question.low_field:
        q &= Q(**{f"{question.low_field}__isnull": True}) | Q(
            **{f"{question.low_field}__lte": stored}
        )
    if question.high_field:
        q &= Q(**{f"{question.high_field}__isnull": True}) | Q(
            **{f"{question.high_field}__gte": stored}
        )
    return q


def not_stated(name: str) -> Q:
    question = BY_NAME[name]
    fields = [f for f in (question.low_field, question.high_field) if f]
    q = Q()
    for field in fields:
        q &= Q(**{f"{field}__isnull": True})
    return q


def states_none_any(trial, answered: list[str]) -> bool:
    """`not_stated_any` for one trial in memory."""
    for name in answered:
        question = BY_NAME[name]
        fields = [f for f in (question.low_field, question.high_field) if f]
        if all(getattr(trial, f) is None for f in fields):
            return True
    return False


def stated_range(trial, question: Question) -> str:
    """The trial's range for this question in plain words, or "" when it states none."""
    low = getattr(trial, question.low_field) if question.low_field else None
    high = getattr(trial, question.high_field) if question.high_field else None
    if question.scale != 1:
        low = None if low is None else _years(low)
        high = None if high is None else _years(high)
    return number_range(low, high, question.unit)


def _years(months: int) -> str:
    return str(months // 12) if months % 12 == 0 else f"{months / 12:.1f}".rstrip("0")


def row_checks(trial, params) -> list[dict]:
    """For each answered question: what the trial states, for its row on the list."""
    checks = []
    for question in QUESTIONS:
        if params.get(question.name):
            stated = stated_range(trial, question)
            checks.append(
                {
                    "label": f"{question.chip} {params[question.name]}",
                    "stated": stated,
                }
            )
    return checks


def not_stated_any(answered: list[str]) -> Q:
    """Trials that state no limit for at least one of the answered questions."""
    unknown = Q()
    for name in answered:
        unknown |= not_stated(name)
    return unknown


def summary(n: int) -> str:
    """One sentence on the `n` trials kept because they state no limit."""
    if not n:
        return "Every trial below states limits that include your answers."
    trials = "trial below does" if n == 1 else "trials below do"
    return (
        f"{n} {trials} not state a limit for at least one of your answers. They are "
        "shown, marked “not stated”: ask the trial team."
    )
