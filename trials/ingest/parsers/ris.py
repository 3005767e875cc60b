"""RIS citation files → plain publication records (no database writes).

Reads both dialects seen in exports (PubMed through Zotero: AU/TI/AB/T2/PY; Embase and Scopus:
A1/T1/N2/JF/Y1), with or without a byte-order mark, "TY  - " or "TY - " tag lines, partial dates
("2019///", "2019/10//undefined"), one keyword or author a line, and values that run on over
several lines (a line without a tag continues the value above it).

Field choices: title TI, else T1; authors AU and A1 in file order, written "Family, Given" as
Publication.authors stores them (an Embase "Liu R." becomes "Liu, R."; a name already with a
comma is kept); year from PY, else Y1, else DA; journal JF, else T2, JO, JA, J2; DOI from DO
(else a doi.org link in any field), normalised as Publication.clean does; PMID only where a
field says so ("PMID: 123", a PubMed link); abstract AB, else N2; registry ids (NCT, EudraCT,
EU CT, ISRCTN, in the shapes RegistryId accepts) from any field.

A file that is not RIS, or a record without its end tag (ER), raises ImportFileError with the
line number.
"""

import re
from dataclasses import dataclass, field

from trials.ingest.parsers import rules
from trials.ingest.parsers.errors import ImportFileError, read_text

WHAT = "RIS"
TAG_LINE = re.compile(r"^([A-Z][A-Z0-9]) {1,2}-(?: (.*)|\s*)$")
INITIALS = re.compile(r"(?:[A-Z]\.?-?){1,4}")
YEAR = re.compile(r"^\s*(\d{4})")
DOI_LINK = re.compile(r"doi\.org/(10\.\d{4,9}/[^\s?#]+)", re.I)
PMID_TEXT = re.compile(
    r"\bPMID:?\s*(\d{1,10})\b|pubmed\.ncbi\.nlm\.nih\.gov/(\d{1,10})|ncbi\.nlm\.nih\.gov/pubmed/(\d{1,10})",
    re.I,
)
JOURNAL_TAGS = ("JF", "T2", "JO", "JA", "J2")


@dataclass(frozen=True)
class RisRecord:
    type: str  # TY, e.g. JOUR
    title: str
    authors: tuple[str, ...]  # "Family, Given", in order
    year: int | None
    journal: str
    volume: str = ""
    issue: str = ""
    pages: str = ""
    doi: str = ""  # normalised like Publication.clean; "" when none has a DOI's shape
    pmid: str = ""
    abstract: str = ""
    keywords: tuple[str, ...] = ()
    url: str = ""
    registry_ids: tuple[tuple[str, str], ...] = ()  # (Registry value, identifier)
    line: int = 0  # where the record starts in the file
    raw: dict[str, list[str]] = field(default_factory=dict, repr=False)

    @property
    def authors_text(self) -> str:
        """The authors as Publication.authors stores them: one a line."""
        return "\n".join(self.authors)


def normalise_author(name: str) -> str:
    """ "Rudnik, Agata" stays; "Adler D.G." (Embase: family name, then initials) → "Adler, D.G."."""
    name = " ".join(name.split())
    if "," in name:
        return name
    family, _space, given = name.rpartition(" ")
    if family and INITIALS.fullmatch(given):
        return f"{family}, {given}"
    return name


def parse_ris(data: bytes | str) -> list[RisRecord]:
    """Every record of a RIS file, in order. Raises ImportFileError for bad input."""
    text = read_text(data, what=WHAT)
    records: list[RisRecord] = []
    current: list[tuple[str, str]] | None = None
    start = 0
    for number, line in enumerate(text.splitlines(), 1):
        match = TAG_LINE.match(line)
        if match is None:
            if not line.strip():
                continue
            if current is None or len(current) == 0:
                raise ImportFileError(
                    f"not a RIS file: expected a tag line such as 'TY  - JOUR', found "
                    f"{line.strip()[:60]!r}",
                    line=number,
                )
            # Continuation lines are collected and joined once, when the record ends: joining
            # each onto the value as it came made a value of n lines cost n² (320,000 lines
            # took 6.6 s).
            current[-1][1].append(line.strip())
            continue
        tag, value = match[1], (match[2] or "").strip()
        if tag == "TY":
            if current is not None:
                raise ImportFileError(
                    f"the record starting at line {start} has no end tag (ER  -) before the "
                    f"next record starts at line {number}",
                    record=len(records) + 1,
                    line=start,
                )
            current, start = [(tag, [value])], number
        elif current is None:
            raise ImportFileError(
                f"{tag} tag outside a record: a RIS record starts with 'TY  - '", line=number
            )
        elif tag == "ER":
            records.append(_record(_joined(current), start))
            current = None
        else:
            current.append((tag, [value]))
    if current is not None:
        raise ImportFileError(
            f"the record starting at line {start} has no end tag (ER  -): the file ends "
            "inside it (truncated?)",
            record=len(records) + 1,
            line=start,
        )
    if not records:
        raise ImportFileError("no RIS records (TY  - … ER  -) in the file")
    return records


def _joined(pairs: list[tuple[str, list[str]]]) -> list[tuple[str, str]]:
    """Each tag's value with its continuation lines, joined by single spaces."""
    return [(tag, " ".join(part for part in parts if part)) for tag, parts in pairs]


def _record(pairs: list[tuple[str, str]], line: int) -> RisRecord:
    tags: dict[str, list[str]] = {}
    for tag, value in pairs:
        tags.setdefault(tag, []).append(value)

    def first(*names: str) -> str:
        for name in names:
            for value in tags.get(name, []):
                if value:
                    return value
        return ""

    year = None
    for name in ("PY", "Y1", "DA"):
        found = [int(m[1]) for v in tags.get(name, []) if (m := YEAR.match(v))]
        if found and 1900 <= found[0] <= 2100:
            year = found[0]
            break

    everything = "\n".join(value for _tag, value in pairs)
    doi = next((d for v in tags.get("DO", []) if (d := rules.valid_doi(v))), None)
    if doi is None:
        doi = next((d for m in DOI_LINK.finditer(everything) if (d := rules.valid_doi(m[1]))), None)
    pmid = next(
        (
            p
            for m in PMID_TEXT.finditer(everything)
            if (p := rules.valid_pmid(next(filter(None, m.groups()))))
        ),
        None,
    )
    sp, ep = first("SP"), first("EP")
    pages = f"{sp}–{ep}" if sp and ep and ep != sp else sp or ep

    return RisRecord(
        type=first("TY"),
        title=" ".join(first("TI", "T1").split()),
        authors=tuple(normalise_author(v) for tag, v in pairs if tag in ("AU", "A1") and v),
        year=year,
        journal=" ".join(first(*JOURNAL_TAGS).split()),
        volume=first("VL"),
        issue=first("IS"),
        pages=pages,
        doi=doi or "",
        pmid=pmid or "",
        abstract=first("AB", "N2"),
        keywords=tuple(v for v in tags.get("KW", []) if v),
        url=first("UR"),
        registry_ids=tuple(rules.find_registry_ids(everything)),
        line=line,
        raw=tags,
    )
