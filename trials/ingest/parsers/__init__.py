"""Parsers: registry and citation files → plain records for the services to write.

Pure parsing and mapping, no database writes: `ctgov` (ClinicalTrials.gov API v2 JSON), `ris`
(citation files), with the rule tables in `rules` (codes, dates, countries, identifiers) and
`mapping` (free text → vocabularies). Every bad file raises `errors.ImportFileError`.
"""

from trials.ingest.parsers.errors import MAX_BYTES, ImportFileError

__all__ = ["MAX_BYTES", "ImportFileError"]
