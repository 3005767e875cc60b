"""Curated vocabularies: conditions and cell types are trees, routes are flat.

Slugs are part of the public URL contract (`/trials/?condition=als`); curators extend the
vocabularies in the admin, and the starting terms ship as a data migration.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse


class VocabularyQuerySet(models.QuerySet):
    def with_descendants(self, slugs) -> list[int]:
        """Ids of the terms named by `slugs` and of every term below them, in one query.

        The trees are small (tens of terms), so walking them in Python is cheaper and simpler
        than a recursive CTE, and works the same on SQLite and PostgreSQL.
        """
        rows = list(self.values_list("id", "slug", "parent_id"))
        children: dict[int | None, list[int]] = {}
        for term_id, _slug, parent_id in rows:
            children.setdefault(parent_id, []).append(term_id)
        wanted = set(slugs)
        stack = [term_id for term_id, slug, _parent in rows if slug in wanted]
        found: set[int] = set()
        while stack:
            term_id = stack.pop()
            if term_id not in found:
                found.add(term_id)
                stack.extend(children.get(term_id, []))
        return sorted(found)


class Term(models.Model):
    slug = models.SlugField(
        max_length=60, unique=True, help_text="Used in public URLs; never change a published one."
    )
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(
        blank=True, help_text="One or two plain sentences a patient can follow."
    )

    class Meta:
        abstract = True
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class HierarchicalTerm(Term):
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text="Filtering by the parent includes this term.",
    )

    objects = VocabularyQuerySet.as_manager()

    class Meta(Term.Meta):
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("pk")),
                name="%(app_label)s_%(class)s_not_own_parent",
            )
        ]

    def clean(self):
        super().clean()
        # A loop (ms under spms under ms) would make "a parent includes its children" endless.
        if self.pk and self.parent_id:
            saved_slug = type(self).objects.filter(pk=self.pk).values_list("slug", flat=True)
            below = type(self).objects.with_descendants(list(saved_slug))
            if self.parent_id in below:
                raise ValidationError(
                    {"parent": "A term cannot sit under itself or one of its narrower terms."}
                )


class Condition(HierarchicalTerm):
    mesh_id = models.CharField(
        "MeSH id",
        max_length=12,
        blank=True,
        help_text="Only when certain, e.g. D009103 for multiple sclerosis.",
    )

    class Meta(HierarchicalTerm.Meta):
        constraints = [
            *HierarchicalTerm.Meta.constraints,
            models.CheckConstraint(
                condition=models.Q(mesh_id="") | models.Q(mesh_id__regex=r"^[CD][0-9]{6,9}$"),
                name="%(app_label)s_%(class)s_mesh_id_format",
                violation_error_message="A MeSH id is D or C followed by digits, e.g. D009103.",
            ),
        ]

    def get_absolute_url(self):
        return reverse("trials:condition-detail", kwargs={"slug": self.slug})


class CellType(HierarchicalTerm):
    class Meta(HierarchicalTerm.Meta):
        pass

    def get_absolute_url(self):
        return reverse("trials:cell-type-detail", kwargs={"slug": self.slug})


class Route(Term):
    class Meta(Term.Meta):
        pass

    def get_absolute_url(self):
        return reverse("trials:route-detail", kwargs={"slug": self.slug})
