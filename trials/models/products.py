"""A cell product: one named cell preparation that runs through several trials (NurOwn in
phase 1/2, phase 2 and phase 3). Arms (`Intervention.product`) link to it, so its trials are
read from the arms, never stored twice."""

from django.db import models
from django.urls import reverse

from trials.choices import Origin, TissueSource, in_choices


class CellProduct(models.Model):
    name = models.CharField(max_length=120, unique=True, help_text="The name most sources use.")
    slug = models.SlugField(max_length=100, unique=True, help_text="The product's public URL.")
    aliases = models.TextField(
        blank=True,
        help_text="Other names, one per line (code names, brand names, INN): search finds "
        "the product by each, e.g. MSC-NTF and debamestrocel for NurOwn.",
    )
    developer = models.CharField(max_length=200, blank=True, help_text="The company or lab.")
    cell_type = models.ForeignKey(
        "trials.CellType",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="products",
    )
    origin = models.CharField("cell origin", max_length=12, choices=Origin, blank=True)
    tissue_source = models.CharField(max_length=20, choices=TissueSource, blank=True)
    description = models.TextField(blank=True, help_text="What the cells are, in plain words.")
    sources = models.TextField(
        blank=True,
        help_text="Where these facts come from: one address per line, with what it backs.",
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "cell product"
        constraints = [
            models.CheckConstraint(
                condition=in_choices("origin", Origin, blank=True),
                name="%(app_label)s_%(class)s_origin_valid",
            ),
            models.CheckConstraint(
                condition=in_choices("tissue_source", TissueSource, blank=True),
                name="%(app_label)s_%(class)s_tissue_source_valid",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("trials:product-detail", kwargs={"slug": self.slug})

    @property
    def alias_list(self) -> list[str]:
        return [line.strip() for line in self.aliases.splitlines() if line.strip()]

    @property
    def source_list(self) -> list[str]:
        return [line.strip() for line in self.sources.splitlines() if line.strip()]
