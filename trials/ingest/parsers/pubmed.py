"""Read PubMed's E-utilities `esummary` answer (db=pubmed, retmode=json) into our publication
fields. Pure: no models, no database.

The answer looks like {"result": {"uids": ["30644983"], "30644983": {"title": …,
"fulljournalname": …, "source": …, "pubdate": "2019 Mar", "volume": …, "pages": …,
"authors": [{"name": "Smith JA", "authtype": "Author"}], "articleids": [{"idtype": "doi",
"value": …}, {"idtype": "pmc", "value": "PMC…"}]}}}; a PMID PubMed cannot summarise has an
"error" instead. Only what PubMed states is kept; a missing value stays missing.
"""

import re
from typing import Any

from trials.ingest.parsers.errors import ImportFileError

FIELDS = ("title", "authors", "journal", "year", "volume", "pages", "doi", "pmcid")
YEAR = re.compile(r"^(1[89]\d\d|20\d\d|2100)\b")
PMCID = re.compile(r"^PMC\d+$")
DOI = re.compile(r"^10\.\d{4,9}/\S+$")
# PubMed's author names are "Family Initials" ("Mazzini L"); ours are "Family, Given".
AUTHOR = re.compile(r"^(?P<family>.+?) (?P<initials>[A-Z]{1,4})$")


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _authors(entries: Any) -> str:
    names = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or entry.get("authtype", "Author") != "Author":
            continue
        name = _text(entry.get("name"))
        if not name:
            continue
        match = AUTHOR.match(name)
        names.append(f"{match['family']}, {match['initials']}" if match else name)
    return "\n".join(names)


def _article_id(entries: Any, kind: str) -> str:
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("idtype") == kind:
            return _text(entry.get("value"))
    return ""


def summary_fields(summary: dict) -> dict[str, Any]:
    """Our fields from one document summary, only those PubMed gives in a shape we keep."""
    title = _text(summary.get("title"))
    # PubMed ends every title with a full stop; a citation adds its own punctuation.
    if title.endswith(".") and not title.endswith(".."):
        title = title[:-1]
    year_match = YEAR.match(_text(summary.get("pubdate")) or _text(summary.get("epubdate")))
    doi = _article_id(summary.get("articleids"), "doi").lower()
    pmcid = _article_id(summary.get("articleids"), "pmc").upper()
    values = {
        "title": title[:500],
        "authors": _authors(summary.get("authors")),
        "journal": (_text(summary.get("fulljournalname")) or _text(summary.get("source")))[:250],
        "year": int(year_match[1]) if year_match else None,
        "volume": _text(summary.get("volume"))[:20],
        "pages": _text(summary.get("pages"))[:30],
        "doi": doi if DOI.match(doi) and len(doi) <= 200 else "",
        "pmcid": pmcid if PMCID.match(pmcid) and len(pmcid) <= 12 else "",
    }
    return {name: value for name, value in values.items() if value not in ("", None)}


def parse_esummary(document: Any) -> dict[str, dict[str, Any] | str]:
    """{pmid: fields} for each summarised PMID, or {pmid: "the error PubMed gave"}. Raises
    ImportFileError when the answer is not an esummary answer at all."""
    result = document.get("result") if isinstance(document, dict) else None
    if not isinstance(result, dict) or not isinstance(result.get("uids"), list):
        error = document.get("error") if isinstance(document, dict) else None
        raise ImportFileError(
            f"PubMed's answer is not an esummary result{f' ({error})' if error else ''}"
        )
    parsed: dict[str, dict[str, Any] | str] = {}
    for uid in result["uids"]:
        summary = result.get(str(uid))
        if not isinstance(summary, dict):
            parsed[str(uid)] = "PubMed listed the PMID but gave no summary"
        elif summary.get("error"):
            parsed[str(uid)] = f"PubMed: {_text(summary.get('error'))}"
        else:
            parsed[str(uid)] = summary_fields(summary)
    return parsed
