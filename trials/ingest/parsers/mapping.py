"""Free text → our vocabularies: conditions, cell types, routes, origin, tissue (doses are in
doses.py).

Pure and table-driven. Each table lists (slug, patterns) from the most specific term to the
broadest; a match claims its stretch of text, so a broader pattern cannot match inside it again
("Secondary Progressive Multiple Sclerosis" is spms, not also ms). Of the terms left, an
ancestor of another is dropped (msc-ntf wins over bm-msc). When two unrelated terms remain, a
function that returns one term returns their closest common ancestor, or nothing: never a guess.

The slugs are those of trials/migrations/0002_vocabularies.py and 0011_more_vocabularies.py; a
database test checks that every slug and parent here exists in the migrated vocabulary tables.
"""

import bisect
import re

from trials.choices import Origin, TissueSource

I = re.IGNORECASE  # noqa: E741 (a flag, read as "case-insensitive")


def near(a: str, b: str, gap: int = 4) -> str:
    """A regex for `a` and `b` within `gap` words of each other, in either order."""
    # Words and the gaps between them are disjoint classes, so a text splits into them one way
    # only: with an apostrophe in both, a run of "' ' ' …" split in exponentially many ways.
    between = rf"[^\w'’]+(?:[\w'’]+[^\w'’]+){{0,{gap}}}?"
    return rf"(?:(?:{a}){between}(?:{b})|(?:{b}){between}(?:{a}))"


def _table(rows):
    return [
        (slug, [re.compile(p, flags) if isinstance(p, str) else re.compile(*p) for p in pats])
        for slug, flags, pats in rows
    ]


def _claim(table, text: str) -> list[tuple[str, str]]:
    """(slug, matched text) for each pattern match not inside an earlier (more specific) one."""
    # The claimed spans never overlap, so sorted by start they are sorted by end too, and an
    # overlap check is two bisections (it scanned every span: a text of many mentions was
    # quadratic).
    starts: list[int] = []
    ends: list[int] = []
    found: list[tuple[int, str, str]] = []
    for slug, patterns in table:
        for pattern in patterns:
            pos = 0
            while match := pattern.search(text, pos):
                start, end = match.span()
                i = bisect.bisect_left(starts, end)  # spans starting before this one ends
                if i and ends[i - 1] > start:
                    pos = start + 1  # a later, shorter match may still be free
                    continue
                starts.insert(i, start)
                ends.insert(i, end)
                found.append((start, slug, match.group()))
                pos = max(end, start + 1)
    return [(slug, matched) for _pos, slug, matched in sorted(found)]


def ancestors(slug: str, parents: dict[str, str | None]) -> list[str]:
    chain = []
    parent = parents.get(slug)
    while parent:
        chain.append(parent)
        parent = parents.get(parent)
    return chain


def most_specific(slugs, parents: dict[str, str | None]) -> list[str]:
    """The slugs without those that are an ancestor of another, in first-seen order."""
    unique = list(dict.fromkeys(slugs))
    covered = {a for slug in unique for a in ancestors(slug, parents)}
    return [slug for slug in unique if slug not in covered]


def common_ancestor(slugs, parents: dict[str, str | None]) -> str | None:
    """The closest term that is, or is above, every slug; None when they share no tree."""
    slugs = list(slugs)
    if not slugs:
        return None
    chains = [[slug, *ancestors(slug, parents)] for slug in slugs]
    for candidate in chains[0]:
        if all(candidate in chain for chain in chains[1:]):
            return candidate
    return None


# --- Conditions ----------------------------------------------------------------------------------

CONDITION_PARENTS: dict[str, str | None] = {
    "ms": None,
    "rrms": "ms",
    "progressive-ms": "ms",
    "spms": "progressive-ms",
    "ppms": "progressive-ms",
    "als": None,
}
_MS = r"(?:multiple\s+sclerosis|MS)\b"
CONDITION_PATTERNS = _table(
    [
        (
            "spms",
            I,
            [rf"secondary[-\s]+progressive\s+{_MS}", rf"{_MS},?\s+secondary[-\s]+progressive"],
        ),
        ("spms", 0, [r"\bSPMS\b"]),
        ("ppms", I, [rf"primary[-\s]+progressive\s+{_MS}", rf"{_MS},?\s+primary[-\s]+progressive"]),
        ("ppms", 0, [r"\bPPMS\b"]),
        ("rrms", I, [rf"relapsing[-\s]+remitting\s+{_MS}", rf"{_MS},?\s+relapsing[-\s]+remitting"]),
        ("rrms", 0, [r"\bRRMS\b"]),
        (
            "progressive-ms",
            I,
            [rf"progressive\s+(?:forms?\s+of\s+)?{_MS}", rf"{_MS},?\s+(?:chronic\s+)?progressive"],
        ),
        ("ms", I, [r"multiple\s+sclerosis"]),
        ("ms", 0, [r"\bMS\b"]),
        (
            "als",
            I,
            [
                r"amyotrophic\s+lateral\s+sclerosis",
                r"motor\s+neurone?s?\s+diseases?",
                r"lou\s+gehrig'?s?\s+disease",
            ],
        ),
        ("als", 0, [r"\bALS\b", r"\bMND\b"]),
    ]
)


def conditions_in(text: str) -> list[str]:
    """The most specific condition slugs one text names (a text may name two diseases)."""
    return most_specific((slug for slug, _m in _claim(CONDITION_PATTERNS, text)), CONDITION_PARENTS)


def match_conditions(texts) -> tuple[list[str], list[str]]:
    """(slugs, unmatched texts) for a list of condition names. Across the list the most specific
    term wins: ["Multiple Sclerosis", "Secondary Progressive Multiple Sclerosis"] → ["spms"]."""
    slugs: list[str] = []
    unmatched: list[str] = []
    for text in texts:
        found = conditions_in(str(text))
        if found:
            slugs.extend(found)
        else:
            unmatched.append(str(text))
    return most_specific(slugs, CONDITION_PARENTS), unmatched


# --- Cell types ----------------------------------------------------------------------------------

CELL_TYPE_PARENTS: dict[str, str | None] = {
    "msc": None,
    "bm-msc": "msc",
    "uc-msc": "msc",
    "ad-msc": "msc",
    "msc-ntf": "bm-msc",
    "msc-np": "bm-msc",
    "nsc": None,
    "fetal-nsc": "nsc",
    "spinal-nsc": "nsc",
    "hsc": None,
    "psc-derived": None,
    "immune-cells": None,
    "treg": "immune-cells",
    "car-t": "immune-cells",
    # Migration 0011 (issue 9)
    "bm-mnc": None,
    "placental-msc": "msc",
    "glial-progenitors": "nsc",
    "tol-dc": "immune-cells",
    "virus-specific-t": "immune-cells",
}
_MSC = r"mesenchymal|\bh?MSCs?\b|stromal\s+(?:stem\s+)?cells?"
_NSC = (
    r"neural\s+(?:stem|precursor|progenitor)(?:\s*/\s*(?:stem|precursor|progenitor))?\s+cells?"
    r"|\bh?NSCs?\b"
)
_FETAL = r"f(?:o)?etal|foetal"
_PSC = r"induced\s+pluripotent\s+stem\s+cells?|\bh?iPSCs?\b|embryonic\s+stem\s+cells?|\bhESCs?\b"
CELL_TYPE_PATTERNS = _table(
    [
        ("msc-ntf", I, [r"\bMSC[-\s]?NTF\b", r"\bNurOwn\b", near(_MSC, r"neurotrophic", 10)]),
        ("msc-np", I, [r"\bMSC[-\s]?NPs?\b", near(_MSC, r"neural\s+progenitors?", 6)]),
        # Unselected marrow cells, not grown in culture: before bm-msc and hsc, which would
        # otherwise claim "bone marrow … cells" or "stem cells" in the same phrase.
        (
            "bm-mnc",
            I,
            [r"\bBM[-\s]?MNCs?\b", near(r"bone[-\s]marrow", r"mono[-\s]?nuclear", 4)],
        ),
        ("bm-msc", I, [r"\bBM[-\s]?MSCs?\b", near(r"bone[-\s]marrow", _MSC, 4)]),
        (
            "uc-msc",
            I,
            [
                r"\b(?:h?UC|WJ)[-\s]?MSCs?\b",
                near(r"umbilical\s+cord(?!\s+blood)|wharton'?s?(?:\s+jelly)?", _MSC, 4),
            ],
        ),
        (
            "placental-msc",
            I,
            [
                r"\bPDA[-\s]?001\b",
                near(r"placenta(?:l)?", _MSC, 4),
                r"placenta(?:l)?[-\s]+derived\s+(?:[\w-]+\s+){0,2}?cells?",
            ],
        ),
        (
            "ad-msc",
            I,
            [
                r"\bAD[-\s]?MSCs?\b",
                near(r"adipose", _MSC, 4),
                r"adipose[-\s]derived\s+(?:mesenchymal\s+)?stem\s+cells?",
            ],
        ),
        ("psc-derived", I, [rf"(?:{_PSC})[-\s]+derived(?:\s+[\w/-]+){{0,4}}?\s+cells?"]),
        (
            "glial-progenitors",
            I,
            [
                r"glial[-\s]restricted\s+(?:progenitors?|precursors?)(?:\s+cells?)?",
                r"glial\s+progenitor\s+cells?",
                r"\bh?GRPs?\b",
                r"\bQ[-\s]Cells\b",
            ],
        ),
        ("spinal-nsc", I, [r"\bNSI[-\s]?566", near(r"spinal[-\s]cord", _NSC, 4)]),
        ("fetal-nsc", I, [r"\bhf(?:NPC|NSC)s?\b", near(_FETAL, _NSC, 4)]),
        (
            "tol-dc",
            I,
            [r"tolerogenic\s+dendritic\s+cells?", r"\btol[-\s]?DCs?\b", r"\bDC[-\s]?VitD3\b"],
        ),
        (
            "virus-specific-t",
            I,
            [
                r"(?:EBV|Epstein[-\s]Barr(?:\s+virus)?|virus|viral)[-\s]+(?:specific|targeted|"
                r"reactive)\s+(?:cytotoxic\s+)?T[-\s]?(?:cells?|lymphocytes?)",
                r"\bATA[-\s]?188\b",
            ],
        ),
        ("car-t", 0, [r"\bCAR[-\s]?T\b"]),
        ("car-t", I, [r"chimeric\s+antigen\s+receptor"]),
        ("treg", I, [r"\bT[-\s]?regs?\b", r"regulatory\s+T[-\s]?(?:cells?|lymphocytes?)"]),
        ("psc-derived", I, [_PSC, r"pluripotent\s+stem"]),
        (
            "hsc",
            I,
            [
                r"h(?:a)?em(?:at)?opoietic\s+(?:stem|progenitor)",
                r"peripheral\s+blood\s+stem\s+cells?",
                r"\bCD34\+",
            ],
        ),
        ("hsc", 0, [r"\ba?HSCTs?\b", r"\bHSCs?\b", r"\bPBSCT?\b"]),
        ("msc", I, [_MSC, r"multipotent\s+(?:adult\s+)?stromal"]),
        ("nsc", I, [_NSC]),
        (
            "immune-cells",
            I,
            [
                r"dendritic\s+cells?",
                r"natural\s+killer",
                r"\bNK\s+cells?",
                r"\bT[-\s]?cells?\b",
                r"\bT[-\s]lymphocytes?\b",
            ],
        ),
    ]
)


def cell_type_matches(text: str) -> list[tuple[str, str]]:
    """(slug, the words that matched) for every cell-type mention, most specific first."""
    return _claim(CELL_TYPE_PATTERNS, text or "")


def cell_type_candidates(text: str) -> list[str]:
    """Every distinct most-specific cell type the text names."""
    return most_specific((slug for slug, _m in cell_type_matches(text)), CELL_TYPE_PARENTS)


def match_cell_type(text: str) -> str | None:
    """The one cell type the text names: "autologous bone marrow-derived mesenchymal stem cells"
    → bm-msc, "MSC-NTF" → msc-ntf. Two unrelated types (MSC and NSC) → None; two of one family
    (BM- and UC-MSC) → their common parent (msc)."""
    candidates = cell_type_candidates(text)
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    return common_ancestor(candidates, CELL_TYPE_PARENTS)


# A cell type that is defined by its tissue says the tissue (VOCABULARY.md: bm-msc are grown from
# bone marrow, and msc-ntf and msc-np are bm-msc).
TISSUE_OF_CELL_TYPE = {
    "bm-msc": TissueSource.BONE_MARROW,
    "msc-ntf": TissueSource.BONE_MARROW,
    "msc-np": TissueSource.BONE_MARROW,
    "uc-msc": TissueSource.UMBILICAL_CORD,
    "ad-msc": TissueSource.ADIPOSE,
    "placental-msc": TissueSource.PLACENTA,
    "bm-mnc": TissueSource.BONE_MARROW,
}


# --- Routes --------------------------------------------------------------------------------------

ROUTE_PATTERNS = _table(
    [
        ("intracerebroventricular", I, [r"intra[-\s]?cerebro[-\s]?ventricular(?:ly)?"]),
        ("intracerebroventricular", 0, [r"\bICV\b"]),
        ("intrathecal", I, [r"intra[-\s]?thecal(?:ly)?", r"lumbar\s+punctures?"]),
        ("intrathecal", 0, [r"\bIT\s+(?:injections?|administrations?|infusions?|doses?)\b"]),
        (
            "intraspinal",
            I,
            [
                r"intra[-\s]?spinal(?:ly)?",
                r"intramedullary",
                r"into\s+the\s+(?:\w+\s+){0,2}spinal\s+cord",
                r"spinal\s+cord\s+(?:micro)?injections?",
                r"(?:ventral|anterior)\s+horns?",
            ],
        ),
        (
            "intracerebral",
            I,
            [
                r"intra[-\s]?cerebral(?:ly)?(?!\s+(?:ha?emorrhage|ha?ematoma|bleed))",
                r"intra[-\s]?striatal(?:ly)?",
                r"intra[-\s]?putaminal(?:ly)?",
            ],
        ),
        (
            "intravenous",
            I,
            [r"intra[-\s]?venous(?:ly)?", r"\bi\.v\.", r"infused\s+into\s+a\s+vein"],
        ),
        ("intravenous", 0, [r"\bIV\s+(?:infusions?|injections?|administrations?|doses?)\b"]),
        ("intramuscular", I, [r"intra[-\s]?muscular(?:ly)?"]),
        ("intramuscular", 0, [r"\bIM\s+(?:injections?|administrations?)\b"]),
        ("intra-arterial", I, [r"intra[-\s]?arterial(?:ly)?", r"intra[-\s]?carotid"]),
        ("subcutaneous", I, [r"sub[-\s]?cutaneous(?:ly)?"]),
        ("intranasal", I, [r"intra[-\s]?nasal(?:ly)?", r"nasal\s+(?:spray|instillation)"]),
        (
            "intranodal",
            I,
            [r"intra[-\s]?nodal(?:ly)?", r"into\s+(?:an?\s+|the\s+)?(?:\w+\s+)?lymph\s+nodes?"],
        ),
    ]
)
ROUTE_SLUGS = list(dict.fromkeys(slug for slug, _p in ROUTE_PATTERNS))


def match_routes(text: str) -> list[str]:
    """Every route the text states, in the vocabulary's order: "intramuscular and intrathecal"
    → ["intrathecal", "intramuscular"]. Only named routes count ("injection" alone says none)."""
    found = {slug for slug, _m in _claim(ROUTE_PATTERNS, text or "")}
    return [slug for slug in ROUTE_SLUGS if slug in found]


# --- Origin and tissue source --------------------------------------------------------------------

ORIGIN_PATTERNS = _table(
    [
        (Origin.AUTOLOGOUS, I, [r"\bautologous\b", r"patient'?s?'?\s+own\s+(?:\w+\s+){0,3}cells"]),
        (Origin.AUTOLOGOUS, 0, [r"\baHSCT\b"]),
        (
            Origin.ALLOGENEIC,
            I,
            [
                r"\balloge?neic\b",
                r"\ballogenic\b",
                r"\bdonor[-\s]derived\b",
                r"\b(?:healthy|unrelated|third[-\s]party|sibling|matched)\s+donors?\b",
            ],
        ),
    ]
)


def origin_candidates(text: str) -> list[str]:
    return list(dict.fromkeys(str(slug) for slug, _m in _claim(ORIGIN_PATTERNS, text or "")))


def match_origin(text: str) -> str | None:
    """ "autologous" or "allogeneic" when the text says exactly one of them, else None."""
    found = origin_candidates(text)
    return found[0] if len(found) == 1 else None


TISSUE_PATTERNS = _table(
    [
        (TissueSource.FETAL_SPINAL_CORD, I, [near(_FETAL, r"spinal[-\s]cord", 4)]),
        (TissueSource.FETAL_BRAIN, I, [near(_FETAL, r"brain", 4)]),
        (TissueSource.BONE_MARROW, I, [r"bone[-\s]marrow", r"\bBM[-\s]?MSCs?\b"]),
        (TissueSource.ADIPOSE, I, [r"\badipose\b", r"lipoaspirate", r"\bAD[-\s]?MSCs?\b"]),
        (
            TissueSource.UMBILICAL_CORD,
            I,
            [r"umbilical\s+cord(?!\s+blood)", r"wharton", r"\b(?:h?UC|WJ)[-\s]?MSCs?\b"],
        ),
        (TissueSource.PLACENTA, I, [r"\bplacenta(?:l)?\b"]),
        (TissueSource.PERIPHERAL_BLOOD, I, [r"peripheral\s+blood", r"\b(?:leuk)?apheresis\b"]),
        (TissueSource.IPSC, I, [r"induced\s+pluripotent", r"\bh?iPSCs?\b"]),
        (TissueSource.ESC, I, [r"embryonic\s+stem", r"\bhESCs?\b"]),
    ]
)


def tissue_candidates(text: str) -> list[str]:
    return list(dict.fromkeys(str(slug) for slug, _m in _claim(TISSUE_PATTERNS, text or "")))


def match_tissue_source(text: str, cell_type: str | None = None) -> str | None:
    """The tissue the text names when it names one; otherwise the tissue the cell type is
    defined by (bm-msc → bone marrow); None when neither says, or the text names several."""
    found = tissue_candidates(text)
    implied = TISSUE_OF_CELL_TYPE.get(cell_type or "")
    if len(found) == 1:
        return found[0]
    if implied and (not found or implied in found):
        return str(implied)
    return None


# --- Is it a cell therapy? -----------------------------------------------------------------------

# ClinicalTrials.gov intervention types. A cell product is registered as a biological, genetic
# (engineered cells), procedure (a transplant), combination product or "other"; a "drug" counts
# only when it names a cell type of ours, since a drug's text often mentions cells it acts on.
CELL_PRODUCT_TYPES = {"BIOLOGICAL", "GENETIC", "PROCEDURE", "COMBINATION_PRODUCT", "OTHER"}
NAMED_CELL_TYPE_ONLY = {"DRUG"}
# Generic wording that states a cell product, for the types above.
CELL_THERAPY_WORDS = [
    re.compile(p, I)
    for p in (
        r"\b(?:stem|stromal|progenitor|precursor)\s+cells?\b",
        r"\bcell(?:ular)?[-\s]+(?:based\s+)?therap(?:y|ies)\b",
        r"\bcells?\s+(?:transplant\w*|infusions?|injections?|implant\w*|grafts?)\b",
        r"\b(?:infusion|injection|transplantation|implantation|administration)\s+of\s+"
        r"(?:[\w-]+\s+){0,4}cells\b",
    )
]
CELL_NAME = re.compile(r"\bcells?\s*$", I)
# Products made from cells but holding none; and comparators.
CELL_FREE = re.compile(
    r"exosomes?|extracellular\s+vesicles?|secretome|conditioned\s+medi(?:um|a)|cell[-\s]free"
    r"|\blysates?\b",
    I,
)
NOT_A_PRODUCT = re.compile(r"\b(?:placebo|sham|vehicle)\b", I)


def cell_therapy_signal(kind: str, name: str, text: str) -> str | None:
    """Why an intervention is a cell therapy, or None when it is not.

    `kind` is the registry's intervention type, `name` its name, `text` its name, other names and
    description together."""
    kind = (kind or "").upper()
    if NOT_A_PRODUCT.search(name or "") or CELL_FREE.search(text or ""):
        return None
    if kind not in CELL_PRODUCT_TYPES | NAMED_CELL_TYPE_ONLY:
        return None
    matches = cell_type_matches(text)
    if matches:
        slug, words = matches[0]
        return f'names cell type {slug} ("{" ".join(words.split())}")'
    if kind in NAMED_CELL_TYPE_ONLY:
        return None
    if CELL_NAME.search(name or ""):
        return f'its name "{name}" is a cell product'
    for pattern in CELL_THERAPY_WORDS:
        match = pattern.search(text or "")
        if match:
            return f'mentions "{match.group()}"'
    return None
