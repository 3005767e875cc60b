"""Import RIS citation files: one publication row per paper (matched by DOI, then PMID), linked
to the trials whose registry ids the record names, and to a trial the curator chose."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from trials import services
from trials.ingest.parsers import ris
from trials.ingest.parsers.errors import ImportFileError
from trials.ingest.registry import describe_error
from trials.models import Publication, PublicationRole, RegistryId, Trial


@dataclass
class CitationResult:
    line: int
    title: str
    outcome: str  # created or existing (matched by DOI, then PMID)
    publication: Publication
    linked: list[Trial] = field(default_factory=list)


@dataclass
class RisFileResult:
    name: str
    records: list[CitationResult] = field(default_factory=list)
    error: str = ""

    def count(self, outcome: str) -> int:
        return sum(1 for record in self.records if record.outcome == outcome)

    @property
    def tally(self) -> str:
        return (
            f"{self.count('created')} new publication(s), "
            f"{self.count('existing')} already in the catalogue"
        )

    @property
    def ok(self) -> bool:
        return not self.error


def find_trial(reference: str) -> Trial | None:
    """A trial by slug or by any of its registry ids (what a curator types)."""
    reference = reference.strip()
    if not reference:
        return None
    found = RegistryId.objects.filter(identifier__iexact=reference).select_related("trial").first()
    return found.trial if found else Trial.objects.filter(slug=reference.lower()).first()


def import_ris_file(
    data: bytes,
    *,
    name: str,
    user=None,
    trial: Trial | None = None,
    role: str = PublicationRole.OTHER,
) -> RisFileResult:
    """Add the file's publications (one row per paper: matched by DOI, then PMID) and link
    each to the trials whose registry ids it names, and to `trial` if a curator chose one."""

    result = RisFileResult(name)
    try:
        records = ris.parse_ris(data)
        with transaction.atomic():
            for record in records:
                try:
                    existing = (
                        record.doi and Publication.objects.filter(doi__iexact=record.doi).first()
                    ) or (record.pmid and Publication.objects.filter(pmid=record.pmid).first())
                    publication = existing or services.publication_get_or_create(
                        title=record.title,
                        doi=record.doi,
                        pmid=record.pmid,
                        authors=record.authors_text,
                        journal=record.journal,
                        year=record.year,
                        volume=record.volume[:20],
                        issue=record.issue[:20],
                        pages=record.pages[:30],
                        url=record.url[:500],
                    )
                    targets = [
                        found
                        for _registry, identifier in record.registry_ids
                        if (found := find_trial(identifier)) is not None
                    ]
                    if trial is not None:
                        targets.append(trial)
                    linked = []
                    for target in dict.fromkeys(targets):
                        link = target.trialpublication_set.filter(publication=publication)
                        if not link.exists():
                            services.publication_link(
                                trial=target,
                                publication=publication,
                                role=role,
                                user=user,
                                reason=f"Publication linked from {name}",
                            )
                            linked.append(target)
                except ValidationError as error:
                    raise ImportFileError(describe_error(error), line=record.line) from error
                result.records.append(
                    CitationResult(
                        record.line,
                        record.title,
                        "existing" if existing else "created",
                        publication,
                        linked,
                    )
                )
    except ImportFileError as error:
        result.records = []
        result.error = f"{name}: {error}; nothing from this file was imported"
    return result
