"""Dose, number of administrations and interval, read from an arm's free text only where the
text states them plainly."""

import re
from dataclasses import dataclass
from decimal import Decimal

from trials.choices import DoseUnit

I = re.IGNORECASE  # noqa: E741 (a flag, read as "case-insensitive")


@dataclass(frozen=True)
class Dose:
    """A dose or dose range in cells, or cells per kg of body weight."""

    min: int
    max: int
    unit: str  # a DoseUnit value
    text: str = ""


SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
# Registry text is untrusted: every repetition below is bounded and every token atomic
# (`(?>…)`), so a match attempt at one position costs a bounded number of steps and a text of
# n characters costs O(n). The old, unbounded pattern backtracked exponentially: an arm
# description ending "Lot 1" + ",111" × 18 took seconds to map.
_DOSE_NUM = r"(?>\d{1,3}(?:,\d{3}){1,4}(?:\.\d{1,6})?|\d{1,12}(?:\.\d{1,6})?)"
_CELL_NOUN = r"(?:cells?\b|[A-Za-z-]{0,40}(?:MSC|NSC|NPC|HSC)s?\b|MSC-NTF\b)"
# Words that may sit between the number and the cells: "million autologous MSC-NTF cells"; not
# words that would join two different numbers ("3 injections of cells").
_NOT_A_DESCRIPTOR = (
    r"(?!(?:of|per|and|or|to|with|every|injections?|infusions?|doses?|administrations?)\b)"
)
_SEPARATOR = r"(?>\s{0,3}(?:,\s{0,3}or|,\s{0,3}and|,|-|–|—|to|or|and)\s{0,3})"
DOSE_PATTERN = re.compile(
    rf"(?P<values>{_DOSE_NUM}(?:{_SEPARATOR}{_DOSE_NUM}){{0,11}})"
    rf"(?:\s{{0,3}}(?:×|x|\*)\s{{0,3}}10\s{{0,3}}(?:\^|e|\*\*)?\s{{0,3}}\(?"
    rf"(?P<exp>[0-9⁰¹²³⁴⁵⁶⁷⁸⁹]{{1,2}})\)?"
    rf"|\s{{0,3}}(?P<word>million|billion|thousand)\b)?"
    rf"(?P<between>(?:\s{{1,3}}{_NOT_A_DESCRIPTOR}(?>[A-Za-z][\w-]{{0,40}})\b){{0,3}}?)"
    rf"\s{{0,3}}{_CELL_NOUN}"
    rf"(?P<per_kg>\s{{0,3}}(?:/|per)\s{{0,3}}(?:kg|kilogram)\b(?:\s{{1,3}}(?:of\s{{1,3}})?body\s{{0,3}}weight)?)?"
    # "50,000 cells/µL" is a concentration, not a dose.
    r"(?!\s{0,3}(?:/|per)\s{0,3}(?:µ|u|m)?l\b)",
    I,
)
WORD_MULTIPLIERS = {"thousand": 10**3, "million": 10**6, "billion": 10**9}
# A plain number of cells below this is not a cell dose ("3 cell lines", "2 cells per well").
MIN_PLAIN_CELL_COUNT = 1000


def find_doses(text: str) -> list[Dose]:
    """Every dose the text states with a cell unit: "100–125 ×10⁶ cells", "1.5 million cells",
    "0.7, 1.4, 2.8, 5.7 ×10⁶ cells/kg", "100,000 cells per injection"."""
    doses = []
    for match in DOSE_PATTERN.finditer(text or ""):
        if match["exp"]:
            multiplier = 10 ** int(match["exp"].translate(SUPERSCRIPTS))
        elif match["word"]:
            multiplier = WORD_MULTIPLIERS[match["word"].lower()]
        else:
            multiplier = 1
        values = [
            int(Decimal(token.replace(",", "")) * multiplier)
            for token in re.findall(_DOSE_NUM, match["values"])
        ]
        if multiplier == 1 and max(values) < MIN_PLAIN_CELL_COUNT:
            continue
        unit = DoseUnit.CELLS_PER_KG if match["per_kg"] else DoseUnit.CELLS
        doses.append(Dose(min(values), max(values), str(unit), match.group().strip()))
    return doses


def parse_dose(text: str) -> Dose | None:
    """The dose range over every dose the text states, when they share one unit; None when it
    states none, or doses in cells and in cells/kg (a curator decides)."""
    doses = find_doses(text)
    if not doses or len({dose.unit for dose in doses}) > 1:
        return None
    return Dose(
        min(d.min for d in doses),
        max(d.max for d in doses),
        doses[0].unit,
        "; ".join(d.text for d in doses),
    )


_COUNT_WORDS = {
    "one": 1,
    "single": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
_ROUTE_ADJ = (
    r"intrathecal|intravenous|intramuscular|intracerebroventricular|intraspinal|intracerebral|"
    r"intra-arterial|subcutaneous|intranasal|IT|IV|IM|ICV|repeated|separate|consecutive|cell|"
    r"monthly|weekly"
)
ADMINISTRATIONS_PATTERN = re.compile(
    rf"\b(?P<count>\d{{1,2}}|{'|'.join(_COUNT_WORDS)})[\s-]+(?:(?:{_ROUTE_ADJ})\s+){{0,2}}"
    r"(?:doses?|injections?|infusions?|administrations?|transplantations?|implantations?)\b"
    # "4 dose levels", "single-dose-finding": not a number of administrations.
    r"(?![-\s]+(?:levels?|cohorts?|groups?|escalation|finding)\b)",
    I,
)


def parse_administrations(text: str) -> int | None:
    """How many times the cells are given, when the text says one number: "3 IT injections" → 3,
    "two intrathecal injections" → 2, "a single dose" → 1."""
    counts = set()
    for match in ADMINISTRATIONS_PATTERN.finditer(text or ""):
        token = match["count"].lower()
        counts.add(_COUNT_WORDS[token] if token in _COUNT_WORDS else int(token))
    counts.discard(0)
    return counts.pop() if len(counts) == 1 else None


INTERVAL_PATTERN = re.compile(
    rf"\bevery\s+(?:\d+|{'|'.join(_COUNT_WORDS)})\s+(?:days?|weeks?|months?)\b"
    r"|\b\d+[-\s](?:day|week|month)\s+intervals?\b",
    I,
)


def parse_interval(text: str) -> str:
    """The interval between administrations as written ("every 8 weeks"), when one is stated."""
    found = list(dict.fromkeys(m.group().lower() for m in INTERVAL_PATTERN.finditer(text or "")))
    return found[0] if len(found) == 1 else ""
