"""Vocabulary terms the larger catalogue needs (issue 9; VOCABULARY.md, the last rows of the
cell-type and route tables): bone-marrow mononuclear cells, placenta-derived MSC-like cells,
glial-restricted progenitors, tolerogenic dendritic cells, virus-specific T cells and the
intranodal route.

A new migration rather than an edit of 0002: databases that already ran 0002 must get these too.
Slugs are part of the URL contract, so they are exactly those of VOCABULARY.md.
"""

from django.db import migrations

CELL_TYPES = [
    # slug, name, parent, description (for patients: short, plain, accurate)
    ("bm-mnc", "Bone-marrow mononuclear cells", None,
     "A mix of cells separated from the patient's bone marrow on the day of treatment, without "
     "growing them in the laboratory. They are not the same as MSCs (which are grown in culture) "
     "nor a stem cell transplant (HSCT)."),
    ("placental-msc", "Placenta-derived MSC-like cells", "msc",
     "Cells resembling MSCs, grown from the placenta of a full-term birth and given to other "
     "people (from a donor)."),
    ("glial-progenitors", "Glial-restricted progenitor cells", "nsc",
     "Immature nervous-system cells that can only become support (glial) cells such as "
     "astrocytes, not nerve cells."),
    ("tol-dc", "Tolerogenic dendritic cells", "immune-cells",
     "Dendritic cells are immune cells that show targets to other immune cells. Tolerogenic ones "
     "are prepared in the laboratory to teach the immune system to stop attacking a target, such "
     "as myelin in MS."),
    ("virus-specific-t", "Virus-specific T cells (e.g. EBV-targeted)", "immune-cells",
     "T cells chosen or trained in the laboratory to recognise cells infected by one virus, "
     "such as the Epstein-Barr virus (EBV), and remove them."),
]

ROUTES = [
    ("intranodal", "Intranodal", "Injected into a lymph node."),
]


def load(apps, schema_editor):
    CellType = apps.get_model("trials", "CellType")
    Route = apps.get_model("trials", "Route")
    for slug, name, parent, description in CELL_TYPES:
        CellType.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "description": description,
                "parent": CellType.objects.get(slug=parent) if parent else None,
            },
        )
    for slug, name, description in ROUTES:
        Route.objects.update_or_create(slug=slug, defaults={"name": name, "description": description})


def unload(apps, schema_editor):
    # Only terms nothing uses: an arm tagged with one keeps it (PROTECT would refuse anyway).
    CellType = apps.get_model("trials", "CellType")
    Route = apps.get_model("trials", "Route")
    CellType.objects.filter(
        slug__in=[row[0] for row in CELL_TYPES], interventions__isnull=True
    ).delete()
    Route.objects.filter(slug__in=[row[0] for row in ROUTES], interventions__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("trials", "0010_ratelimit_cache_table")]

    operations = [migrations.RunPython(load, unload)]
