"""Citations in the formats reference managers read: RIS and BibTeX.

- `record_ris` / `record_bibtex`: the trial's record on this site itself (a database entry:
  title, the tracker as publisher, URL, last update and access date, registry ids).
- `publications_ris`: the papers of a set of trials, one RIS record each, written so that our
  own importer (trials/ingest/parsers/ris.py) reads back the same title, authors, journal,
  year, volume, issue, pages, DOI and PMID.

Pure text building from loaded objects: no queries beyond what the caller prefetched.
"""

import re
from datetime import date

SITE = "Cell Therapy Trial Tracker"
BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def _ris_value(value) -> str:
    # One line per tag: a line break inside a value would start a continuation line.
    return " ".join(str(value).split())


def _ris(pairs) -> str:
    lines = [f"{tag}  - {_ris_value(value)}" for tag, value in pairs if value not in (None, "")]
    return "\n".join([*lines, "ER  - ", ""])


def record_ris(trial, url: str, accessed: date) -> str:
    """The trial's page as a RIS database entry (TY DBASE is read by Zotero, EndNote and
    Mendeley as a database record)."""
    pairs = [
        ("TY", "DBASE"),
        ("TI", str(trial)),
        ("T2", SITE),
        ("PB", SITE),
        ("PY", trial.updated_at.year),
        ("DA", trial.updated_at.strftime("%Y/%m/%d")),
        ("Y2", accessed.strftime("%Y/%m/%d")),
        ("UR", url),
        *(("AN", registry_id.identifier) for registry_id in trial.registry_ids.all()),
        ("N1", f"Record last updated {trial.updated_at:%Y-%m-%d}; accessed {accessed:%Y-%m-%d}."),
    ]
    return _ris(pairs)


def _pages(pages: str) -> list[tuple[str, str]]:
    match = re.fullmatch(r"\s*([^–-]+?)\s*[–-]\s*([^–-]+?)\s*", pages or "")
    if match:
        return [("SP", match[1]), ("EP", match[2])]
    return [("SP", pages)]


def publication_ris(publication, registry_ids=()) -> str:
    pairs = [
        ("TY", "JOUR"),
        *(("AU", author) for author in publication.author_list),
        ("TI", publication.title),
        ("JF", publication.journal),
        ("PY", publication.year),
        ("VL", publication.volume),
        ("IS", publication.issue),
        *_pages(publication.pages),
        ("DO", publication.doi),
        ("UR", publication.url or publication.doi_url or publication.pubmed_url),
        ("AN", f"PMID: {publication.pmid}" if publication.pmid else ""),
        ("N1", "Trial registry ids: " + ", ".join(registry_ids) if registry_ids else ""),
    ]
    return _ris(pairs)


def publications_ris(trials) -> str:
    """Each publication of these trials once (first come, first written), with the registry
    ids of the listed trials it reports on."""
    seen: dict[int, tuple] = {}
    for trial in trials:
        ids = [registry_id.identifier for registry_id in trial.registry_ids.all()]
        for link in trial.publication_links:
            publication = link.publication
            entry = seen.setdefault(publication.pk, (publication, []))
            entry[1].extend(i for i in ids if i not in entry[1])
    return "\n".join(publication_ris(p, ids) for p, ids in seen.values())


def bibtex_escape(text: str) -> str:
    return "".join(BIBTEX_SPECIAL.get(ch, ch) for ch in " ".join(str(text).split()))


def record_bibtex(trial, url: str, accessed: date) -> str:
    """The trial's page as a BibTeX @misc entry (biblatex reads urldate too)."""
    key = "tracker-" + re.sub(r"[^A-Za-z0-9-]", "", trial.slug)[:60]
    ids = ", ".join(registry_id.identifier for registry_id in trial.registry_ids.all())
    fields = [
        ("title", "{" + bibtex_escape(str(trial)) + "}"),
        ("author", "{" + bibtex_escape(SITE) + "}"),
        ("howpublished", bibtex_escape(SITE)),
        ("year", str(trial.updated_at.year)),
        ("url", url),
        ("urldate", accessed.isoformat()),
        (
            "note",
            bibtex_escape(
                (f"Registry ids: {ids}. " if ids else "")
                + f"Record last updated {trial.updated_at:%Y-%m-%d}; accessed {accessed:%Y-%m-%d}"
            ),
        ),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{key},\n{body}\n}}\n"
