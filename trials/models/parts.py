"""The parts of a trial record: registry ids, arms, outcomes and sites."""

from django.db import models
from django.db.models import F, Q
from django_countries.fields import CountryField

from trials import formatting
from trials.choices import (
    REGISTRY_FORMATS,
    ArmRole,
    DoseUnit,
    EndpointMet,
    Origin,
    OutcomeKind,
    Registry,
    TissueSource,
    in_choices,
)
from trials.constraints import BatchedCheckValidation, FieldCheckConstraint
from trials.models.organisations import IS_COUNTRY_CODE

REGISTRY_URLS = {
    Registry.NCT: "https://clinicaltrials.gov/study/{id}",
    Registry.EUDRACT: "https://www.clinicaltrialsregister.eu/ctr-search/search?query={id}",
    Registry.EUCT: "https://euclinicaltrials.eu/search-for-clinical-trials/?lang=en&EUCT={id}",
    Registry.ISRCTN: "https://www.isrctn.com/{id}",
}


class RegistryId(BatchedCheckValidation, models.Model):
    trial = models.ForeignKey("trials.Trial", on_delete=models.CASCADE, related_name="registry_ids")
    registry = models.CharField(max_length=10, choices=Registry, default=Registry.NCT)
    identifier = models.CharField(
        max_length=40,
        help_text="As the registry writes it: NCT03282760, 2015-004855-37, ISRCTN12345678.",
    )

    class Meta:
        # ClinicalTrials.gov first: it is the id most people search for.
        ordering = [
            models.Case(models.When(registry=Registry.NCT, then=0), default=1),
            "registry",
            "identifier",
            "id",
        ]
        verbose_name = "registry id"
        constraints = [
            models.CheckConstraint(
                condition=in_choices("registry", Registry),
                name="%(app_label)s_%(class)s_registry_valid",
            ),
            models.UniqueConstraint(
                fields=["registry", "identifier"],
                name="%(app_label)s_%(class)s_unique_identifier",
                violation_error_message="This registry id already belongs to a trial.",
            ),
            FieldCheckConstraint(
                condition=~Q(identifier=""),
                name="%(app_label)s_%(class)s_identifier_not_empty",
                error_field="identifier",
            ),
            *(
                FieldCheckConstraint(
                    condition=~Q(registry=registry) | Q(identifier__regex=pattern),
                    name=f"%(app_label)s_%(class)s_{registry}_format",
                    error_field="identifier",
                    violation_error_message=f"A {registry.label} id looks like {example}.",
                )
                for registry, (pattern, example) in REGISTRY_FORMATS.items()
            ),
        ]

    def __str__(self):
        return self.identifier

    def clean(self):
        # Curators paste ids with stray spaces or in lower case; the registries' own form wins.
        self.identifier = (self.identifier or "").strip()
        if self.registry in (Registry.NCT, Registry.ISRCTN):
            self.identifier = self.identifier.upper()

    @property
    def url(self) -> str:
        template = REGISTRY_URLS.get(self.registry)
        return template.format(id=self.identifier) if template else ""


class Intervention(BatchedCheckValidation, models.Model):
    """One arm of a trial and what it received."""

    trial = models.ForeignKey(
        "trials.Trial", on_delete=models.CASCADE, related_name="interventions"
    )
    label = models.CharField(max_length=200, help_text="The arm's name, e.g. 'Cohort D'.")
    role = models.CharField(max_length=20, choices=ArmRole, default=ArmRole.EXPERIMENTAL)
    description = models.TextField(blank=True)
    cell_type = models.ForeignKey(
        "trials.CellType",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interventions",
        help_text="Empty for placebo arms, or when the source does not say.",
    )
    origin = models.CharField(
        "cell origin",
        max_length=12,
        choices=Origin,
        blank=True,
        help_text="Autologous: the patient's own cells. Allogeneic: from a donor.",
    )
    tissue_source = models.CharField(max_length=20, choices=TissueSource, blank=True)
    product = models.ForeignKey(
        "trials.CellProduct",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="arms",
        help_text="The named cell product this arm received (e.g. NurOwn), if it has one.",
    )
    routes = models.ManyToManyField(
        "trials.Route",
        blank=True,
        related_name="interventions",
        help_text="Every route used, e.g. intramuscular and intrathecal for NurOwn phase 2.",
    )
    dose_min = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Lowest dose, as a plain number (5 million = 5000000)."
    )
    dose_max = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Highest dose; same as min for a single dose level."
    )
    dose_unit = models.CharField(max_length=15, choices=DoseUnit, blank=True)
    dose_detail = models.TextField(blank=True, help_text="E.g. '4 dose levels, 3 patients each'.")
    administrations = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="How many times the cells are given."
    )
    interval = models.CharField(max_length=100, blank=True, help_text="E.g. 'every 8 weeks'.")
    co_treatment = models.CharField(
        max_length=300, blank=True, help_text="E.g. 'tacrolimus immunosuppression for 6 months'."
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["trial", "position", "id"]
        verbose_name = "intervention / arm"
        verbose_name_plural = "interventions / arms"
        constraints = [
            models.CheckConstraint(
                condition=in_choices("role", ArmRole), name="%(app_label)s_%(class)s_role_valid"
            ),
            models.CheckConstraint(
                condition=in_choices("origin", Origin, blank=True),
                name="%(app_label)s_%(class)s_origin_valid",
            ),
            models.CheckConstraint(
                condition=in_choices("tissue_source", TissueSource, blank=True),
                name="%(app_label)s_%(class)s_tissue_source_valid",
            ),
            models.CheckConstraint(
                condition=in_choices("dose_unit", DoseUnit, blank=True),
                name="%(app_label)s_%(class)s_dose_unit_valid",
            ),
            FieldCheckConstraint(
                condition=Q(dose_min__isnull=True)
                | Q(dose_max__isnull=True)
                | Q(dose_min__lte=F("dose_max")),
                name="%(app_label)s_%(class)s_dose_min_lte_max",
                error_field="dose_max",
                violation_error_message="The highest dose cannot be below the lowest dose.",
            ),
            FieldCheckConstraint(
                condition=(Q(dose_min__isnull=True) & Q(dose_max__isnull=True)) | ~Q(dose_unit=""),
                name="%(app_label)s_%(class)s_dose_has_unit",
                error_field="dose_unit",
                violation_error_message="A dose needs a unit (cells, or cells per kg).",
            ),
        ]

    def __str__(self):
        return self.label

    @property
    def dose_display(self) -> str:
        return formatting.dose(self.dose_min, self.dose_max, self.dose_unit)


class Outcome(BatchedCheckValidation, models.Model):
    trial = models.ForeignKey("trials.Trial", on_delete=models.CASCADE, related_name="outcomes")
    kind = models.CharField(max_length=10, choices=OutcomeKind, default=OutcomeKind.PRIMARY)
    measure = models.CharField(max_length=500)
    time_frame = models.CharField(max_length=300, blank=True, help_text="E.g. '12 months'.")
    result = models.TextField(blank=True, help_text="What was found, for completed trials.")
    primary_endpoint_met = models.CharField(
        max_length=12,
        choices=EndpointMet,
        blank=True,
        help_text="For primary outcomes with results: was the endpoint met?",
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["trial", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=in_choices("kind", OutcomeKind), name="%(app_label)s_%(class)s_kind_valid"
            ),
            models.CheckConstraint(
                condition=in_choices("primary_endpoint_met", EndpointMet, blank=True),
                name="%(app_label)s_%(class)s_endpoint_met_valid",
            ),
            FieldCheckConstraint(
                condition=Q(primary_endpoint_met="") | Q(kind=OutcomeKind.PRIMARY),
                name="%(app_label)s_%(class)s_endpoint_met_only_primary",
                error_field="primary_endpoint_met",
                violation_error_message="Only a primary outcome has an endpoint to meet.",
            ),
        ]

    def __str__(self):
        return self.measure


class Site(models.Model):
    trial = models.ForeignKey("trials.Trial", on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(max_length=300, blank=True, help_text="Hospital or institution.")
    city = models.CharField(max_length=120, blank=True)
    country = CountryField()

    class Meta:
        ordering = ["trial", "country", "city", "id"]
        indexes = [models.Index(fields=["country"])]
        constraints = [
            FieldCheckConstraint(
                condition=Q(IS_COUNTRY_CODE),
                name="%(app_label)s_%(class)s_country_iso",
                error_field="country",
                violation_error_message="Choose a country (ISO 3166 two-letter code).",
            )
        ]

    def __str__(self):
        place = ", ".join(part for part in (self.city, self.country.name) if part)
        return f"{self.name} ({place})" if self.name else place
