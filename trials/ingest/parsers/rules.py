"""Pure, table-driven rules for registry codes, dates, durations, countries and identifiers.

Value in, value out, no database: each table below is the whole rule, and tests pin every row.
Free text → vocabulary (conditions, cell types, routes, doses) is in `mapping.py`.
"""

import datetime
import re
from decimal import Decimal

from django_countries import countries

from trials.choices import (
    REGISTRY_FORMATS,
    Allocation,
    ArmRole,
    Control,
    DatePrecision,
    Masking,
    Phase,
    Registry,
    Status,
)


class UnknownCode(ValueError):
    """A registry code outside the registry's own vocabulary (e.g. phase "PHASE5")."""


# --- Phase -----------------------------------------------------------------------------------

# ClinicalTrials.gov v2 `designModule.phases` holds one or two of these; two are a combined phase.
PHASE_CODES = {"EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4", "NA"}
COMBINED_PHASES = {
    frozenset({"PHASE1", "PHASE2"}): Phase.PHASE1_PHASE2,
    frozenset({"PHASE2", "PHASE3"}): Phase.PHASE2_PHASE3,
}


def map_phase(phases: list[str] | tuple[str, ...]) -> str:
    """Our phase code for the registry's list: ["PHASE1", "PHASE2"] → "PHASE1_PHASE2",
    ["NA"] → "NA" (not applicable, e.g. a device or procedure study), [] → "" (none given, as for
    observational studies). A code the registry does not use, or a pair that is not a registry
    combination, raises UnknownCode naming it."""
    codes = [str(code).strip().upper() for code in phases]
    unknown = [code for code in codes if code not in PHASE_CODES]
    if unknown:
        raise UnknownCode(
            f"unknown phase code {', '.join(repr(c) for c in unknown)}; "
            f"ClinicalTrials.gov uses {', '.join(sorted(PHASE_CODES))}"
        )
    distinct = frozenset(codes)
    if not distinct:
        return ""
    if len(distinct) == 1:
        return Phase(next(iter(distinct))).value
    if distinct in COMBINED_PHASES:
        return COMBINED_PHASES[distinct].value
    raise UnknownCode(
        f"unknown phase combination {' + '.join(sorted(distinct))}; "
        "ClinicalTrials.gov combines only PHASE1 + PHASE2 and PHASE2 + PHASE3"
    )


# --- Other closed vocabularies -----------------------------------------------------------------

# Our Status codes are the registry's own. Its expanded-access statuses (AVAILABLE,
# NO_LONGER_AVAILABLE, TEMPORARILY_NOT_AVAILABLE, APPROVED_FOR_MARKETING, WITHHELD) have no
# equivalent here, so they are left for the curator.
STATUS = {code: code for code in Status.values}
ALLOCATION = {code: code for code in Allocation.values}
MASKING = {code: code for code in Masking.values}
ARM_ROLE = {
    "EXPERIMENTAL": ArmRole.EXPERIMENTAL,
    "PLACEBO_COMPARATOR": ArmRole.PLACEBO,
    "SHAM_COMPARATOR": ArmRole.SHAM,
    "ACTIVE_COMPARATOR": ArmRole.ACTIVE_COMPARATOR,
    "NO_INTERVENTION": ArmRole.NO_INTERVENTION,
    # "OTHER" has no equivalent: left for the curator.
}
# The comparator arm types say what the trial is controlled against; anything else says nothing.
CONTROL_BY_ARM_TYPE = {
    "PLACEBO_COMPARATOR": Control.PLACEBO,
    "SHAM_COMPARATOR": Control.PLACEBO,  # our "placebo" means "placebo or sham"
    "ACTIVE_COMPARATOR": Control.ACTIVE,
}


def map_code(table: dict[str, str], value: str | None) -> str | None:
    """The table's value for a registry code, or None when the table has no row for it."""
    if not isinstance(value, str):
        return None
    found = table.get(value.strip().upper())
    return str(found) if found is not None else None


def map_control(arm_types: list[str]) -> str | None:
    """The trial's control from its arm types: one kind of comparator → that kind; none → None;
    placebo and active comparators together → None (a curator decides)."""
    kinds = {CONTROL_BY_ARM_TYPE[t] for t in arm_types if t in CONTROL_BY_ARM_TYPE}
    return str(kinds.pop()) if len(kinds) == 1 else None


# --- Dates -------------------------------------------------------------------------------------

DATE_FORMATS = [
    # regex, precision
    (re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"), DatePrecision.DAY),
    (re.compile(r"^(\d{4})-(\d{2})$"), DatePrecision.MONTH),
    (re.compile(r"^(\d{4})$"), DatePrecision.YEAR),
]


def parse_date(text: str | None) -> tuple[datetime.date, str] | None:
    """A registry date and its precision: "2021-03-15" → day, "2021-03" → the 1st and month,
    "2021" → 1 January and year. None for anything else (including impossible dates)."""
    if not isinstance(text, str):
        return None
    for pattern, precision in DATE_FORMATS:
        match = pattern.match(text.strip())
        if match:
            parts = [int(part) for part in match.groups()] + [1, 1]
            try:
                return datetime.date(*parts[:3]), str(precision)
            except ValueError:
                return None
    return None


# --- Follow-up from an outcome's time frame -----------------------------------------------------

# Months per unit. A week is 12/52 of a month, so "96 weeks" → 22, "52 weeks" → 12,
# "Week 24" → 6; a day is 12/365.
MONTHS_PER_UNIT = {
    "day": Decimal(12) / Decimal(365),
    "week": Decimal(12) / Decimal(52),
    "month": Decimal(1),
    "year": Decimal(12),
}
UNIT_WORDS = {
    "d": "day",
    "day": "day",
    "days": "day",
    "wk": "week",
    "wks": "week",
    "week": "week",
    "weeks": "week",
    "mo": "month",
    "mos": "month",
    "month": "month",
    "months": "month",
    "yr": "year",
    "yrs": "year",
    "year": "year",
    "years": "year",
}
_NUMBER_NAMES = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen", "twenty",
]  # fmt: skip
NUMBER_WORDS = {word: value for value, word in enumerate(_NUMBER_NAMES)} | {
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
}

_NUM = r"\d+(?:\.\d+)?|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_UNIT = "|".join(sorted(UNIT_WORDS, key=len, reverse=True))
# Registry text is untrusted: a list of numbers is at most 12 long and each number and
# separator is atomic, so a match attempt costs a bounded number of steps and a time frame of n
# characters O(n). Unbounded, "5, " × 3,000 took seconds (each start rescanned the list).
_NUM_LIST = rf"(?>{_NUM})(?:(?>\s{{0,3}}(?:,|-|–|—|to|and|or|through)\s{{0,3}})(?>{_NUM})){{0,11}}"
# "12 months", "12-month", "6 and 12 months", "2 year/end of study"; and "Week 24", "Months 6, 12".
NUMBER_THEN_UNIT = re.compile(rf"\b(?P<nums>{_NUM_LIST})[\s-]{{0,3}}(?P<unit>{_UNIT})\b", re.I)
UNIT_THEN_NUMBER = re.compile(rf"\b(?P<unit>{_UNIT})\s{{1,3}}(?P<nums>{_NUM_LIST})\b", re.I)
_ONE_NUM = re.compile(_NUM, re.I)


def _number(token: str) -> Decimal:
    token = token.lower()
    return Decimal(NUMBER_WORDS[token]) if token in NUMBER_WORDS else Decimal(token)


def durations_in_months(text: str | None) -> list[Decimal]:
    """Every duration a time frame states, in (unrounded) months."""
    if not isinstance(text, str):
        return []
    found = []
    for pattern in (NUMBER_THEN_UNIT, UNIT_THEN_NUMBER):
        for match in pattern.finditer(text):
            unit = UNIT_WORDS[match["unit"].lower()]
            for token in _ONE_NUM.findall(match["nums"]):
                found.append(_number(token) * MONTHS_PER_UNIT[unit])
    return found


def follow_up_months(text: str | None) -> int | None:
    """The longest duration a time frame states, in whole months (half up): "12 months" → 12,
    "96 weeks" → 22, "2 years" → 24, "Week 24" → 6, "Baseline, 6 and 12 months" → 12.
    None when no number with a unit is stated ("Baseline", "end of study"), or when the longest
    is under half a month ("14 days"): that is not a follow-up in months."""
    durations = durations_in_months(text)
    if not durations:
        return None
    months = int(max(durations) + Decimal("0.5"))
    return months or None


# --- Countries ---------------------------------------------------------------------------------

# How ClinicalTrials.gov spells countries whose ISO short names differ; everything else goes
# through django-countries' English names.
COUNTRY_ALIASES = {
    "united states": "US",
    "korea, republic of": "KR",
    "republic of korea": "KR",
    "south korea": "KR",
    "korea, democratic people's republic of": "KP",
    "iran, islamic republic of": "IR",
    "turkey": "TR",
    "türkiye": "TR",
    "moldova, republic of": "MD",
    "macedonia, the former yugoslav republic of": "MK",
    "congo, the democratic republic of the": "CD",
    "palestinian territory, occupied": "PS",
    "libyan arab jamahiriya": "LY",
    "cape verde": "CV",
    "micronesia, federated states of": "FM",
    "holy see (vatican city state)": "VA",
}


def country_code(name: str | None) -> str | None:
    """The ISO 3166 alpha-2 code for a registry's country name, or None when it names no current
    country ("Former Serbia and Montenegro")."""
    if not isinstance(name, str) or not name.strip():
        return None
    key = " ".join(name.split())
    code = COUNTRY_ALIASES.get(key.casefold()) or countries.by_name(key, insensitive=True)
    return code or None


# --- Registry ids ------------------------------------------------------------------------------

# The same shapes the RegistryId constraints enforce, so only ids that would save are proposed.
REGISTRY_PATTERNS = {
    registry: re.compile(pattern) for registry, (pattern, _example) in REGISTRY_FORMATS.items()
}
# Searching free text: the EU CT shape first (a EudraCT shape is its prefix), never inside a
# longer token, a DOI or a URL path.
_TEXT_ORDER = [Registry.EUCT, Registry.EUDRACT, Registry.NCT, Registry.ISRCTN]
_IN_TEXT = {
    registry: re.compile(
        r"(?<![-\w/.])" + REGISTRY_FORMATS[registry][0].strip("^$") + r"(?![-\w])",
        re.I if registry in (Registry.NCT, Registry.ISRCTN) else 0,
    )
    for registry in _TEXT_ORDER
}
# ClinicalTrials.gov secondary id types that name a registry we record.
SECONDARY_ID_TYPES = {"EUDRACT_NUMBER": Registry.EUDRACT, "CTIS": Registry.EUCT}


def find_registry_ids(text: str | None) -> list[tuple[str, str]]:
    """(registry, identifier) for every registry id written in free text, in order, once each."""
    if not isinstance(text, str):
        return []
    hits: list[tuple[int, str, str]] = []
    taken: list[tuple[int, int]] = []
    for registry in _TEXT_ORDER:
        for match in _IN_TEXT[registry].finditer(text):
            if any(start < match.end() and match.start() < end for start, end in taken):
                continue
            taken.append(match.span())
            hits.append((match.start(), str(registry), match.group().upper()))
    seen: list[tuple[str, str]] = []
    for _pos, registry, identifier in sorted(hits):
        if (registry, identifier) not in seen:
            seen.append((registry, identifier))
    return seen


def registry_id(registry: str, identifier: str) -> tuple[str, str] | None:
    """(registry, identifier) when the identifier has the registry's shape (after the same
    clean-up RegistryId.clean does), else None."""
    identifier = (identifier or "").strip()
    if registry in (Registry.NCT, Registry.ISRCTN):
        identifier = identifier.upper()
    pattern = REGISTRY_PATTERNS.get(registry)
    if pattern is None or not pattern.match(identifier):
        return None
    return str(registry), identifier


def secondary_registry_id(info: dict) -> tuple[str, str] | None:
    """A ClinicalTrials.gov `secondaryIdInfos` entry as one of our registry ids, or None.

    EudraCT and CTIS numbers count when the registry labels them so (type EUDRACT_NUMBER or
    CTIS, or a domain naming EudraCT / CTIS) and have the right shape; NCT and ISRCTN ids count
    by their unmistakable shape. Grant numbers and sponsors' codes are not registry ids.
    """
    identifier = str(info.get("id") or "").strip()
    label = f"{info.get('type') or ''} {info.get('domain') or ''}".lower()
    registry = SECONDARY_ID_TYPES.get(str(info.get("type") or "").upper())
    if registry is None and "eudract" in label:
        registry = Registry.EUDRACT
    if registry is None and ("ctis" in label or "eu ct" in label):
        registry = Registry.EUCT
    if registry is not None:
        found = registry_id(registry, identifier)
        if found is None:
            # "EudraCT 2015-004855-37": the number is there, with a prefix.
            ids = [hit for hit in find_registry_ids(identifier) if hit[0] == registry]
            found = ids[0] if len(ids) == 1 else None
        return found
    return registry_id(Registry.NCT, identifier) or registry_id(Registry.ISRCTN, identifier)


# --- Publication identifiers ---------------------------------------------------------------------

# The shapes of the Publication constraints (trials/models/evidence.py); a test keeps them equal.
DOI_PATTERN = r"^10\.[0-9]{4,9}/\S+$"
PMID_PATTERN = r"^[1-9][0-9]{0,9}$"
DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:")


def normalise_doi(text: str | None) -> str:
    """A DOI as Publication.clean stores it: no URL prefix, lower case. Not validated."""
    doi = (text or "").strip()
    for prefix in DOI_PREFIXES:
        if doi.lower().startswith(prefix):
            doi = doi[len(prefix) :]
    return doi.lower()


def valid_doi(text: str | None) -> str | None:
    """The normalised DOI when it has a DOI's shape, else None."""
    doi = normalise_doi(text)
    return doi if re.match(DOI_PATTERN, doi) else None


def valid_pmid(text: str | None) -> str | None:
    pmid = (text or "").strip() if isinstance(text, str) else str(text or "")
    return pmid if re.match(PMID_PATTERN, pmid) else None
