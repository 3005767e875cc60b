"""The starting vocabularies of VOCABULARY.md, with their exact slugs (part of the URL contract).

Frozen here, as data migrations must be: curators extend the vocabularies in the admin.
"""

from django.db import migrations

CONDITIONS = [
    # slug, name, parent, MeSH, description
    ("ms", "Multiple sclerosis", None, "D009103",
     "A long-term disease in which the immune system attacks the protective coating (myelin) "
     "of nerves in the brain and spinal cord."),
    ("rrms", "Relapsing-remitting MS", "ms", "D020529",
     "The most common form of MS at diagnosis: attacks (relapses) followed by periods of partial "
     "or complete recovery."),
    ("progressive-ms", "Progressive MS", "ms", "D020528",
     "Forms of MS in which disability builds up steadily, with or without relapses."),
    ("spms", "Secondary progressive MS", "progressive-ms", "",
     "MS that began as relapsing-remitting and later became steadily progressive."),
    ("ppms", "Primary progressive MS", "progressive-ms", "",
     "MS that is progressive from the start, without distinct relapses."),
    ("als", "Amyotrophic lateral sclerosis (ALS)", None, "D000690",
     "A disease in which the nerve cells that control muscles (motor neurons) die, causing "
     "weakness that spreads and worsens over time. Also called motor neuron disease."),
]

CELL_TYPES = [
    ("msc", "Mesenchymal stem/stromal cells (MSC)", None,
     "Cells that can be grown from bone marrow, fat or umbilical cord. Studied mainly for their "
     "effects on inflammation and for the protective substances they release."),
    ("bm-msc", "Bone-marrow MSC", "msc", "MSCs grown from bone marrow."),
    ("uc-msc", "Umbilical-cord MSC (incl. Wharton's jelly)", "msc",
     "MSCs grown from umbilical cord tissue, including its jelly-like core (Wharton's jelly)."),
    ("ad-msc", "Adipose-derived MSC", "msc", "MSCs grown from fat (adipose) tissue."),
    ("msc-ntf", "MSC secreting neurotrophic factors (MSC-NTF)", "bm-msc",
     "Bone-marrow MSCs treated in the laboratory so they release more nerve-supporting "
     "(neurotrophic) factors. NurOwn is one such product."),
    ("msc-np", "MSC-derived neural progenitors (MSC-NP)", "bm-msc",
     "Bone-marrow MSCs grown into cells that resemble early nerve-lineage cells."),
    ("nsc", "Neural stem/precursor cells (NSC/NPC)", None,
     "Immature cells of the nervous system that can form nerve cells and their support cells."),
    ("fetal-nsc", "Fetal brain-derived neural stem cells", "nsc",
     "Neural stem cells grown from donated fetal brain tissue."),
    ("spinal-nsc", "Spinal cord-derived neural stem cells", "nsc",
     "Neural stem cells grown from donated fetal spinal cord tissue."),
    ("hsc", "Haematopoietic stem cells (HSCT)", None,
     "Blood-forming stem cells. In haematopoietic stem cell transplantation the immune system is "
     "wiped out with chemotherapy and rebuilt from these cells."),
    ("psc-derived", "Pluripotent stem cell-derived cells (iPSC / ESC)", None,
     "Cells made in the laboratory from stem cells that can become any cell type: induced "
     "pluripotent stem cells (iPSC) or embryonic stem cells (ESC)."),
    ("immune-cells", "Immune cell therapies", None,
     "Immune cells collected, changed or multiplied in the laboratory and given back."),
    ("treg", "Regulatory T cells (Tregs)", "immune-cells",
     "Immune cells whose job is to calm other immune cells."),
    ("car-t", "CAR T cells", "immune-cells",
     "T cells engineered in the laboratory to recognise and remove a chosen target, such as "
     "the B cells involved in MS."),
]

ROUTES = [
    ("intravenous", "Intravenous (IV)", "Infused into a vein."),
    ("intrathecal", "Intrathecal (IT)",
     "Injected into the fluid around the spinal cord, by lumbar puncture."),
    ("intracerebroventricular", "Intracerebroventricular (ICV)",
     "Injected into the fluid-filled ventricles of the brain."),
    ("intraspinal", "Intraspinal",
     "Injected directly into the spinal cord tissue, during surgery."),
    ("intracerebral", "Intracerebral", "Injected directly into brain tissue."),
    ("intramuscular", "Intramuscular (IM)", "Injected into a muscle."),
    ("intra-arterial", "Intra-arterial", "Infused into an artery."),
    ("subcutaneous", "Subcutaneous", "Injected under the skin."),
    ("intranasal", "Intranasal", "Given through the nose."),
]


def load(apps, schema_editor):
    Condition = apps.get_model("trials", "Condition")
    CellType = apps.get_model("trials", "CellType")
    Route = apps.get_model("trials", "Route")
    for slug, name, parent, mesh, description in CONDITIONS:
        Condition.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "mesh_id": mesh,
                "description": description,
                "parent": Condition.objects.get(slug=parent) if parent else None,
            },
        )
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


class Migration(migrations.Migration):
    dependencies = [("trials", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
