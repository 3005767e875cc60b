"""The saved searches a new catalogue starts with: MS and ALS, each crossed with the cell
therapies the tracker covers. Curators edit, disable or add to them in the admin. Conditions
use the registry's own synonym expansion (query.cond "amyotrophic lateral sclerosis" also finds
"ALS" and "motor neuron disease" records); interventions list the words sponsors use."""

from django.db import migrations

CONDITIONS = {
    "MS": "multiple sclerosis",
    "ALS": "amyotrophic lateral sclerosis",
}
THERAPIES = {
    "stem or stromal cells": '"stem cell" OR "stem cells" OR "stromal cell" OR "stromal cells" '
    "OR mesenchymal OR MSC",
    "neural stem or progenitor cells": '"neural stem" OR "neural progenitor" OR '
    '"neural precursor" OR "glial progenitor" OR "neuronal progenitor"',
    "haematopoietic stem cell transplantation": '"hematopoietic stem cell" OR '
    '"haematopoietic stem cell" OR "autologous stem cell transplantation" OR HSCT OR aHSCT',
    "CAR-T": '"CAR-T" OR "CAR T" OR "chimeric antigen receptor"',
    "regulatory T cells": '"regulatory T cell" OR "regulatory T cells" OR Treg OR Tregs',
    "cell therapy": '"cell therapy" OR "cellular therapy" OR "cell-based therapy"',
}


def add_defaults(apps, schema_editor):
    SavedSearch = apps.get_model("trials", "SavedSearch")
    for short, condition in CONDITIONS.items():
        for therapy, intervention in THERAPIES.items():
            SavedSearch.objects.get_or_create(
                name=f"{short} × {therapy}",
                defaults={
                    "condition": condition,
                    "intervention": intervention,
                    "description": f"{condition.capitalize()} trials of {therapy} "
                    "(shipped default).",
                },
            )


def remove_defaults(apps, schema_editor):
    SavedSearch = apps.get_model("trials", "SavedSearch")
    names = [f"{short} × {therapy}" for short in CONDITIONS for therapy in THERAPIES]
    SavedSearch.objects.filter(name__in=names, synced_until__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("trials", "0016_sync")]

    operations = [migrations.RunPython(add_defaults, remove_defaults)]
