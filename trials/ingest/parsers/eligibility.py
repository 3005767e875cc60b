"""Structured eligibility from a ClinicalTrials.gov record (pure: text in, values out).

Ages and sex come from `eligibilityModule` ("18 Years", "6 Months", "ALL"). EDSS, ALSFRS-R,
time since symptom onset and FVC come from the *inclusion* part of the free-text criteria, and
only where a pattern states them plainly ("EDSS 3.0–6.5", "ALSFRS-R ≥ 30", "symptom onset
within 24 months", "FVC ≥ 60%"). Every other criteria line that names one of these scales is
returned as a note for the curator, never guessed.

The patterns are linear-time: no nested quantifiers, every gap a bounded character class, so
a hostile criteria text cannot make them backtrack for long.
"""

import re
from decimal import Decimal

AGE = re.compile(r"^\s*(\d{1,3})\s*(year|month|week|day)s?\s*$", re.IGNORECASE)
# ClinicalTrials.gov writes ages as "<n> Years|Months|Weeks|Days"; we store whole months.
MONTHS_PER = {"year": 12, "month": 1}
SEXES = {"ALL", "FEMALE", "MALE"}

NUMBER = r"(\d{1,2}(?:[.,]\d)?)"
DASH = r"\s{0,3}(?:-|–|—|to|and)\s{0,3}"
GAP = r"[^\n\d]{0,40}?"  # words between the scale's name and its numbers, on one line
AT_LEAST = r"(?:≥|>=|=>|at least|of at least|minimum of|no less than|not less than)"
AT_MOST = r"(?:≤|<=|=<|up to|at most|no more than|not more than|maximum of|within)"

EDSS_RANGE = re.compile(rf"\bEDSS\b{GAP}{NUMBER}{DASH}{NUMBER}", re.IGNORECASE)
EDSS_MIN = re.compile(rf"\bEDSS\b{GAP}{AT_LEAST}\s{{0,3}}{NUMBER}", re.IGNORECASE)
EDSS_MAX = re.compile(rf"\bEDSS\b{GAP}{AT_MOST}\s{{0,3}}{NUMBER}", re.IGNORECASE)
ALSFRS = r"\bALSFRS(?:-?R)?\b"
ALSFRS_MIN = re.compile(rf"{ALSFRS}{GAP}{AT_LEAST}\s{{0,3}}(\d{{1,2}})\b", re.IGNORECASE)
ALSFRS_RANGE = re.compile(rf"{ALSFRS}{GAP}(\d{{1,2}}){DASH}(\d{{1,2}})\b", re.IGNORECASE)
ONSET = (
    r"(?:symptom onset|onset of (?:symptoms|weakness|ALS)|disease duration|"
    r"duration of (?:disease|symptoms))"
)
ONSET_MAX = re.compile(
    rf"{ONSET}{GAP}{AT_MOST}\s{{0,3}}(\d{{1,3}})\s{{0,3}}(months?|years?)\b", re.IGNORECASE
)
FVC = r"(?:\bFVC\b|forced vital capacity)"
FVC_MIN = re.compile(rf"{FVC}{GAP}{AT_LEAST}\s{{0,3}}(\d{{2,3}})\s{{0,3}}%", re.IGNORECASE)
MENTIONS = re.compile(rf"\bEDSS\b|{ALSFRS}|{ONSET}|{FVC}", re.IGNORECASE)
EXCLUSION = re.compile(r"^\s*exclusion criteria", re.IGNORECASE | re.MULTILINE)


def age_months(value: str | None) -> int | None:
    """'18 Years' → 216, '6 Months' → 6; weeks and days round down to whole months;
    None when the registry gives no age or one we cannot read."""
    match = AGE.match(value or "")
    if not match:
        return None
    number, unit = int(match.group(1)), match.group(2).lower()
    if unit in MONTHS_PER:
        return number * MONTHS_PER[unit]
    return number * 12 // 52 if unit == "week" else number * 12 // 365


def _edss(text: str) -> Decimal | None:
    value = Decimal(text.replace(",", "."))
    return value.quantize(Decimal("0.1")) if 0 <= value <= 10 else None


def inclusion_part(criteria: str) -> str:
    """The criteria text before 'Exclusion Criteria' (all of it when there is no such line)."""
    match = EXCLUSION.search(criteria)
    return criteria[: match.start()] if match else criteria


def criteria_values(criteria: str) -> tuple[dict, list[str]]:
    """({field: value} stated plainly in the inclusion criteria, [lines left for a curator])."""
    values: dict = {}
    notes: list[str] = []
    for line in inclusion_part(criteria or "").splitlines():
        if not MENTIONS.search(line):
            continue
        found = _line_values(line)
        for name, value in found.items():
            values.setdefault(name, value)
        if not found:
            notes.append(line.strip(" *-•\t")[:200])
    if (
        values.get("edss_min") is not None
        and values.get("edss_max") is not None
        and values["edss_min"] > values["edss_max"]
    ):
        notes.append(f"EDSS range {values.pop('edss_min')}–{values.pop('edss_max')} is reversed")
    return values, notes


def _line_values(line: str) -> dict:
    found: dict = {}
    if match := EDSS_RANGE.search(line):
        low, high = _edss(match.group(1)), _edss(match.group(2))
        if low is not None and high is not None:
            found |= {"edss_min": low, "edss_max": high}
    else:
        if (match := EDSS_MIN.search(line)) and (low := _edss(match.group(1))) is not None:
            found["edss_min"] = low
        if (match := EDSS_MAX.search(line)) and (high := _edss(match.group(1))) is not None:
            found["edss_max"] = high
    if (match := ALSFRS_MIN.search(line) or ALSFRS_RANGE.search(line)) and int(
        match.group(1)
    ) <= 48:
        found["alsfrs_min"] = int(match.group(1))
    if match := ONSET_MAX.search(line):
        number, unit = int(match.group(1)), match.group(2).lower()
        found["onset_max_months"] = number * 12 if unit.startswith("year") else number
    if (match := FVC_MIN.search(line)) and int(match.group(1)) <= 200:
        found["fvc_min_percent"] = int(match.group(1))
    return found
