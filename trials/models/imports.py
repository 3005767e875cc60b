"""What a registry said about a trial, kept beside the curated record.

An importer maps the registry's JSON to our fields; `imported` keeps those mapped values as of
the last import. That is the baseline that tells a curator's edit from a registry change: a
field whose current value still equals its imported value has not been touched by a curator
and follows the registry; one that differs was curated and is never overwritten. The registry's
new value for a curated field waits in `pending` for a curator to accept or dismiss.
"""

from django.db import models

from trials.choices import Registry, in_choices


class RegistryRecord(models.Model):
    trial = models.ForeignKey(
        "trials.Trial", on_delete=models.CASCADE, related_name="registry_records"
    )
    registry = models.CharField(max_length=10, choices=Registry, default=Registry.NCT)
    identifier = models.CharField(max_length=40, help_text="E.g. NCT03280056.")
    raw = models.JSONField(help_text="The registry's record, exactly as imported.")
    imported = models.JSONField(
        default=dict, help_text="Our fields as mapped from the registry at the last import."
    )
    pending = models.JSONField(
        default=dict,
        blank=True,
        help_text="Registry values that differ from a curated value, waiting for a curator: "
        "{field: {'registry': …, 'curated': …}}.",
    )
    unmapped = models.JSONField(
        default=list, blank=True, help_text="What the importer could not map, for the curator."
    )
    source_name = models.CharField(max_length=255, blank=True, help_text="The imported file.")
    first_imported_at = models.DateTimeField(auto_now_add=True)
    last_imported_at = models.DateTimeField(auto_now=True)
    # Kept here, not on the trial: a sync that fetches an unchanged study writes only this,
    # so an identical run leaves every trial (and its history) untouched.
    last_fetched_at = models.DateTimeField(
        null=True, blank=True, help_text="When the registry sync last fetched this record."
    )

    class Meta:
        ordering = ["registry", "identifier"]
        constraints = [
            models.UniqueConstraint(
                fields=["registry", "identifier"],
                name="%(app_label)s_%(class)s_unique_identifier",
            ),
            models.CheckConstraint(
                condition=in_choices("registry", Registry),
                name="%(app_label)s_%(class)s_registry_valid",
            ),
        ]

    def __str__(self):
        return f"{self.get_registry_display()} {self.identifier}"
