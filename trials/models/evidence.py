"""Where the facts come from: publications (shared between trials) and per-trial sources."""

from django.db import models
from django.db.models import Q

from trials.choices import PublicationRole, SourceKind, in_choices
from trials.constraints import BatchedCheckValidation, FieldCheckConstraint


class Publication(BatchedCheckValidation, models.Model):
    """A paper, preprint or review. One publication may cover several trials."""

    title = models.CharField(
        max_length=500,
        blank=True,
        help_text="Leave empty rather than guess when no source gives it.",
    )
    authors = models.TextField(blank=True, help_text="One author per line, 'Family, Given'.")
    et_al = models.BooleanField(
        "author list incomplete",
        default=False,
        help_text="Tick when only the first author(s) are known: shown as 'et al.'.",
    )
    journal = models.CharField(max_length=250, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    volume = models.CharField(max_length=20, blank=True)
    issue = models.CharField(max_length=20, blank=True)
    pages = models.CharField(max_length=30, blank=True, help_text="E.g. 75–85 or e2294.")
    doi = models.CharField(
        "DOI", max_length=200, blank=True, help_text="Without https://doi.org/, e.g. 10.1038/…"
    )
    pmid = models.CharField("PMID", max_length=10, blank=True)
    pmcid = models.CharField("PMCID", max_length=12, blank=True, help_text="E.g. PMC9873560.")
    url = models.URLField(max_length=500, blank=True)
    citation = models.TextField(
        blank=True,
        help_text="The citation as a registry gives it, kept word for word until the fields "
        "above are filled (sync_pubmed fills them from PubMed).",
    )
    trials = models.ManyToManyField(
        "trials.Trial", through="trials.TrialPublication", related_name="publications"
    )

    class Meta:
        ordering = ["-year", "title", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["doi"],
                condition=~Q(doi=""),
                name="%(app_label)s_%(class)s_unique_doi",
                violation_error_message="A publication with this DOI already exists.",
            ),
            models.UniqueConstraint(
                fields=["pmid"],
                condition=~Q(pmid=""),
                name="%(app_label)s_%(class)s_unique_pmid",
                violation_error_message="A publication with this PMID already exists.",
            ),
            FieldCheckConstraint(
                condition=Q(doi="") | Q(doi__regex=r"^10\.[0-9]{4,9}/\S+$"),
                name="%(app_label)s_%(class)s_doi_format",
                error_field="doi",
                violation_error_message="A DOI starts with 10. and a registrant code, "
                "e.g. 10.1038/s41591-022-02097-3.",
            ),
            FieldCheckConstraint(
                condition=Q(pmid="") | Q(pmid__regex=r"^[1-9][0-9]{0,9}$"),
                name="%(app_label)s_%(class)s_pmid_format",
                error_field="pmid",
                violation_error_message="A PMID is a number, e.g. 30644983.",
            ),
            FieldCheckConstraint(
                condition=Q(pmcid="") | Q(pmcid__regex=r"^PMC[0-9]+$"),
                name="%(app_label)s_%(class)s_pmcid_format",
                error_field="pmcid",
                violation_error_message="A PMCID is PMC followed by digits, e.g. PMC9873560.",
            ),
            FieldCheckConstraint(
                condition=Q(year__isnull=True) | Q(year__gte=1900, year__lte=2100),
                name="%(app_label)s_%(class)s_year_plausible",
                error_field="year",
                violation_error_message="Give the year of publication, e.g. 2023.",
            ),
        ]

    def __str__(self):
        where = ", ".join(str(bit) for bit in (self.journal, self.year) if bit)
        label = (
            self.title
            or self.short_authors
            or self.citation[:120]
            or self.doi
            or (f"PMID {self.pmid}" if self.pmid else "Untitled publication")
        )
        return f"{label} ({where})" if where else label

    def clean(self):
        # DOIs are case-insensitive and often pasted as URLs; store the bare, lower-case form.
        doi = (self.doi or "").strip()
        for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:"):
            if doi.lower().startswith(prefix):
                doi = doi[len(prefix) :]
        self.doi = doi.lower()
        self.pmid = (self.pmid or "").strip()
        self.pmcid = (self.pmcid or "").strip().upper()

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""

    @property
    def pubmed_url(self) -> str:
        return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/" if self.pmid else ""

    @property
    def pmc_url(self) -> str:
        return f"https://pmc.ncbi.nlm.nih.gov/articles/{self.pmcid}/" if self.pmcid else ""

    @property
    def author_list(self) -> list[str]:
        return [line.strip() for line in self.authors.splitlines() if line.strip()]

    @property
    def short_authors(self) -> str:
        names = self.author_list
        if not names:
            return ""
        first = names[0].split(",")[0]
        return f"{first} et al." if len(names) > 1 or self.et_al else first


class TrialPublication(models.Model):
    trial = models.ForeignKey("trials.Trial", on_delete=models.CASCADE)
    publication = models.ForeignKey(Publication, on_delete=models.PROTECT)
    role = models.CharField(
        max_length=20, choices=PublicationRole, default=PublicationRole.PRIMARY_RESULTS
    )

    class Meta:
        ordering = ["trial", "role", "id"]
        verbose_name = "publication link"
        constraints = [
            models.UniqueConstraint(
                fields=["trial", "publication"],
                name="%(app_label)s_%(class)s_unique_link",
                violation_error_message="This publication is already linked to the trial.",
            ),
            models.CheckConstraint(
                condition=in_choices("role", PublicationRole),
                name="%(app_label)s_%(class)s_role_valid",
            ),
        ]

    def __str__(self):
        return f"{self.publication} ({self.get_role_display()})"


class Source(models.Model):
    """A page a fact of the record was read from. Every public record cites at least one."""

    trial = models.ForeignKey("trials.Trial", on_delete=models.CASCADE, related_name="sources")
    kind = models.CharField(max_length=15, choices=SourceKind, default=SourceKind.REGISTRY)
    title = models.CharField(max_length=300, help_text="What the page is, e.g. 'STEMS abstract'.")
    url = models.URLField(max_length=500)
    accessed_on = models.DateField(null=True, blank=True)
    supports = models.CharField(
        max_length=500, blank=True, help_text="Which facts this source backs, e.g. 'dose, N'."
    )

    class Meta:
        ordering = ["trial", "kind", "id"]
        constraints = [
            models.CheckConstraint(
                condition=in_choices("kind", SourceKind), name="%(app_label)s_%(class)s_kind_valid"
            ),
        ]

    def __str__(self):
        return self.title
