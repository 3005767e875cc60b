"""Who may take part in a trial, as structured ranges: "Could I take part?" filters on them
and the trial page states them in plain words. Every field may be empty, which means the
sources do not state it; the list then shows the trial as "not stated" rather than hiding it.

Ages are stored in months because registries state them in years, months or weeks
("18 Years", "6 Months"); everything else is in the unit of its scale."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from trials.choices import Sex, in_choices
from trials.constraints import FieldCheckConstraint

EDSS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("10"))]


class EligibilityFields(models.Model):
    age_min_months = models.PositiveSmallIntegerField(
        "minimum age (months)", null=True, blank=True, help_text="18 years = 216 months."
    )
    age_max_months = models.PositiveSmallIntegerField(
        "maximum age (months)", null=True, blank=True, help_text="65 years = 780 months."
    )
    sex = models.CharField(max_length=6, choices=Sex, blank=True, help_text="Who may take part.")
    edss_min = models.DecimalField(
        "EDSS from",
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        validators=EDSS,
        help_text="MS disability scale, 0 (none) to 10. E.g. 3.0 for 'EDSS 3.0–6.5'.",
    )
    edss_max = models.DecimalField(
        "EDSS up to", max_digits=3, decimal_places=1, null=True, blank=True, validators=EDSS
    )
    alsfrs_min = models.PositiveSmallIntegerField(
        "ALSFRS-R at least",
        null=True,
        blank=True,
        validators=[MaxValueValidator(48)],
        help_text="ALS functional rating scale, 0–48 (48 = no loss of function).",
    )
    onset_max_months = models.PositiveSmallIntegerField(
        "at most months since symptom onset",
        null=True,
        blank=True,
        help_text="ALS: e.g. 24 for 'symptom onset within 2 years'.",
    )
    fvc_min_percent = models.PositiveSmallIntegerField(
        "FVC at least (% predicted)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(200)],
        help_text="ALS breathing test: forced vital capacity, % of predicted.",
    )
    eligibility_unmapped = models.TextField(
        "eligibility criteria not mapped",
        blank=True,
        help_text="Private: criteria the importer read but could not turn into a range. "
        "Check them and fill the fields above where they state one plainly.",
    )

    class Meta:
        abstract = True

    @property
    def eligibility_stated(self) -> bool:
        return any(getattr(self, name) not in (None, "") for name in ELIGIBILITY_FIELDS)


ELIGIBILITY_FIELDS = (
    "age_min_months",
    "age_max_months",
    "sex",
    "edss_min",
    "edss_max",
    "alsfrs_min",
    "onset_max_months",
    "fvc_min_percent",
)


def _min_lte_max(low: str, high: str, message: str) -> FieldCheckConstraint:
    return FieldCheckConstraint(
        condition=Q(**{f"{low}__isnull": True})
        | Q(**{f"{high}__isnull": True})
        | Q(**{f"{low}__lte": F(high)}),
        name=f"%(app_label)s_%(class)s_{low}_lte_{high}",
        error_field=high,
        violation_error_message=message,
    )


ELIGIBILITY_CONSTRAINTS = [
    models.CheckConstraint(
        condition=in_choices("sex", Sex, blank=True), name="%(app_label)s_%(class)s_sex_valid"
    ),
    _min_lte_max("age_min_months", "age_max_months", "The maximum age is below the minimum."),
    _min_lte_max("edss_min", "edss_max", "The highest EDSS is below the lowest."),
    *(
        FieldCheckConstraint(
            condition=Q(**{f"{field}__isnull": True})
            | Q(**{f"{field}__gte": 0, f"{field}__lte": 10}),
            name=f"%(app_label)s_%(class)s_{field}_scale",
            error_field=field,
            violation_error_message="EDSS runs from 0 to 10.",
        )
        for field in ("edss_min", "edss_max")
    ),
    FieldCheckConstraint(
        condition=Q(alsfrs_min__isnull=True) | Q(alsfrs_min__lte=48),
        name="%(app_label)s_%(class)s_alsfrs_scale",
        error_field="alsfrs_min",
        violation_error_message="ALSFRS-R runs from 0 to 48.",
    ),
    FieldCheckConstraint(
        condition=Q(fvc_min_percent__isnull=True) | Q(fvc_min_percent__lte=200),
        name="%(app_label)s_%(class)s_fvc_scale",
        error_field="fvc_min_percent",
        violation_error_message="FVC is a percentage of predicted, at most 200.",
    ),
]
