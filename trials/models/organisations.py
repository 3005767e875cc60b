"""Organisations: sponsors, collaborators and clinics."""

from django.db import models
from django.db.models import F, Q
from django.db.models.lookups import Regex
from django_countries.fields import CountryField

# django-countries redefines `country__regex` to search country *names*, so the format check
# is built from the plain Regex lookup on the column.
IS_COUNTRY_CODE = Regex(F("country"), r"^[A-Z]{2}$")


class Organisation(models.Model):
    """A sponsor, collaborator or clinic."""

    name = models.CharField(max_length=200, unique=True)
    country = CountryField(blank=True)
    website = models.URLField(blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(country="") | Q(IS_COUNTRY_CODE),
                name="%(app_label)s_%(class)s_country_iso",
            )
        ]

    def __str__(self):
        return self.name
