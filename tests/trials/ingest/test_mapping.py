"""Free text → vocabulary rules, one table each. The samples are phrases as registries write
them; the slugs are those of trials/migrations/0002_vocabularies.py (test_vocabulary checks)."""

import pytest

from trials.ingest.parsers import mapping


@pytest.mark.parametrize(
    ("texts", "slugs", "unmatched"),
    [
        (["Amyotrophic Lateral Sclerosis"], ["als"], []),
        (["ALS"], ["als"], []),
        (["Motor Neuron Disease"], ["als"], []),
        (["motor neurone disease"], ["als"], []),
        (["Lou Gehrig's Disease"], ["als"], []),
        (["Secondary Progressive Multiple Sclerosis"], ["spms"], []),
        (["Multiple Sclerosis, Secondary Progressive"], ["spms"], []),
        (["SPMS"], ["spms"], []),
        (["Primary Progressive Multiple Sclerosis"], ["ppms"], []),
        (["Progressive Multiple Sclerosis"], ["progressive-ms"], []),
        (["Multiple Sclerosis, Chronic Progressive"], ["progressive-ms"], []),
        (["Relapsing-Remitting Multiple Sclerosis"], ["rrms"], []),
        (["RRMS"], ["rrms"], []),
        (["Multiple Sclerosis"], ["ms"], []),
        (["MS"], ["ms"], []),
        # the most specific term wins across the list
        (["Multiple Sclerosis", "Secondary Progressive Multiple Sclerosis"], ["spms"], []),
        (["Progressive MS", "Primary Progressive Multiple Sclerosis"], ["ppms"], []),
        (["SPMS", "PPMS"], ["spms", "ppms"], []),
        (["ALS", "Multiple Sclerosis"], ["als", "ms"], []),
        # not ours, or not enough to say
        (["Healthy"], [], ["Healthy"]),
        (["Primary Progressive Aphasia"], [], ["Primary Progressive Aphasia"]),
        (["Multiple System Atrophy"], [], ["Multiple System Atrophy"]),
        (["Premenstrual syndrome (PMS)"], [], ["Premenstrual syndrome (PMS)"]),
        (["als"], [], ["als"]),  # the abbreviation counts in capitals only
        (["Cystic Fibrosis", "ALS"], ["als"], ["Cystic Fibrosis"]),
    ],
)
def test_match_conditions(texts, slugs, unmatched):
    assert mapping.match_conditions(texts) == (slugs, unmatched)


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("autologous bone marrow-derived mesenchymal stem cells", "bm-msc"),
        ("Mesenchymal stem cells from bone marrow", "bm-msc"),
        ("BM-MSC", "bm-msc"),
        ("MSC-NTF cells", "msc-ntf"),
        ("NurOwn", "msc-ntf"),
        ("bone-marrow mesenchymal stem cells induced to secrete neurotrophic factors", "msc-ntf"),
        ("mesenchymal stem cell-derived neural progenitors (MSC-NP)", "msc-np"),
        ("Wharton's jelly mesenchymal stem cells", "uc-msc"),
        ("umbilical cord-derived MSCs", "uc-msc"),
        ("hUC-MSC", "uc-msc"),
        ("adipose-derived mesenchymal stromal cells", "ad-msc"),
        ("mesenchymal stromal cells", "msc"),
        ("MSCs", "msc"),
        ("allogeneic foetal human neural stem/progenitor cells (hNSCs)", "fetal-nsc"),
        ("human fetal neural precursor cells", "fetal-nsc"),
        ("hfNPCs", "fetal-nsc"),
        ("human spinal cord-derived neural stem cells (NSI-566RSC)", "spinal-nsc"),
        ("neural stem cells", "nsc"),
        ("hNSCs", "nsc"),
        ("autologous haematopoietic stem cell transplantation", "hsc"),
        ("aHSCT", "hsc"),
        ("Nonmyeloablative autologous hematopoietic stem cell transplantation", "hsc"),
        ("CD34+ selected cells", "hsc"),
        ("iPSC-derived neural progenitor cells", "psc-derived"),
        ("human embryonic stem cell-derived oligodendrocyte progenitors cells", "psc-derived"),
        ("CAR-T cells targeting CD19", "car-t"),
        ("chimeric antigen receptor T cells", "car-t"),
        ("autologous regulatory T cells (Tregs)", "treg"),
        # terms of migration 0011 (issue 9)
        ("EBV-specific T cells", "virus-specific-t"),
        ("allogeneic Epstein-Barr virus-specific cytotoxic T lymphocytes", "virus-specific-t"),
        ("ATA188", "virus-specific-t"),
        ("tolerogenic dendritic cells", "tol-dc"),
        ("autologous tolDC pulsed with myelin peptides", "tol-dc"),
        ("dendritic cells", "immune-cells"),  # not said to be tolerogenic
        ("autologous bone marrow mononuclear cells", "bm-mnc"),
        ("BM-MNC", "bm-mnc"),
        ("human placenta-derived cells (PDA-001)", "placental-msc"),
        ("placental mesenchymal stromal cells", "placental-msc"),
        ("Human Glial Restricted Progenitor Cells (hGRPs; Q-Cells)", "glial-progenitors"),
        ("glial-restricted precursors", "glial-progenitors"),
        # two of one family → their parent; unrelated → nothing
        ("bone marrow MSC or umbilical cord MSC", "msc"),
        ("MSC and neural stem cells", None),
        ("bone marrow mononuclear cells or bone marrow MSC", None),  # not one family
        ("Riluzole 50 mg twice daily", None),
        ("", None),
    ],
)
def test_match_cell_type(text, slug):
    assert mapping.match_cell_type(text) == slug


@pytest.mark.parametrize(
    ("text", "routes"),
    [
        ("3 intrathecal injections (lumbar puncture)", ["intrathecal"]),
        ("by lumbar puncture", ["intrathecal"]),
        ("IT injections every 8 weeks", ["intrathecal"]),
        ("intracerebroventricular (ICV) injection", ["intracerebroventricular"]),
        ("ICV", ["intracerebroventricular"]),
        ("Intraspinal microinjection into the anterior horns", ["intraspinal"]),
        ("injected into the lumbar spinal cord", ["intraspinal"]),
        ("intravenous infusion", ["intravenous"]),
        ("given intravenously", ["intravenous"]),
        ("IV infusion", ["intravenous"]),
        ("combined intramuscular and intrathecal administration", ["intrathecal", "intramuscular"]),
        ("intra-arterial", ["intra-arterial"]),
        ("subcutaneous injection", ["subcutaneous"]),
        ("intranasal", ["intranasal"]),
        ("intracerebral implantation", ["intracerebral"]),
        ("intranodal injection", ["intranodal"]),
        ("injected into the cervical lymph nodes", ["intranodal"]),
        ("lymph node biopsy", []),
        ("patients with intracerebral haemorrhage", []),
        ("injection", []),
        ("Stage IV disease", []),
        ("", []),
    ],
)
def test_match_routes(text, routes):
    assert mapping.match_routes(text) == routes


@pytest.mark.parametrize(
    ("text", "origin"),
    [
        ("autologous bone marrow MSC", "autologous"),
        ("the patient's own cells", "autologous"),
        ("allogeneic foetal neural stem cells", "allogeneic"),
        ("allogenic fetal-derived hNSCs", "allogeneic"),
        ("cells from healthy donors", "allogeneic"),
        ("autologous or allogeneic HSCT", None),  # both: a curator decides
        ("Wharton's jelly MSC", None),  # not stated
    ],
)
def test_match_origin(text, origin):
    assert mapping.match_origin(text) == origin


@pytest.mark.parametrize(
    ("text", "cell_type", "tissue"),
    [
        ("bone marrow-derived MSC", None, "bone_marrow"),
        ("MSC-NTF", "msc-ntf", "bone_marrow"),  # msc-ntf is a bone-marrow MSC by definition
        ("Wharton's jelly", None, "umbilical_cord"),
        ("umbilical cord blood", None, None),  # cord blood is not cord tissue
        ("adipose tissue", None, "adipose"),
        ("from brain tissue of foetal donors", None, "fetal_brain"),
        ("fetal spinal cord", None, "fetal_spinal_cord"),
        ("induced pluripotent stem cells", None, "ipsc"),
        ("foetal neural precursor cells", "fetal-nsc", None),  # brain not stated
        ("bone marrow or adipose", None, None),
        ("bone marrow or adipose", "bm-msc", "bone_marrow"),
    ],
)
def test_match_tissue_source(text, cell_type, tissue):
    assert mapping.match_tissue_source(text, cell_type) == tissue


@pytest.mark.parametrize(
    ("kind", "name", "text", "is_cell"),
    [
        ("BIOLOGICAL", "MSC-NTF cells", "Autologous MSC-NTF", True),
        ("BIOLOGICAL", "Autologous cells", "", True),  # a name that is a cell product
        ("PROCEDURE", "HSCT", "autologous haematopoietic stem cell transplantation", True),
        ("GENETIC", "CAR-T", "CD19 CAR-T cells", True),
        ("OTHER", "Cell therapy", "cell therapy", True),
        ("BIOLOGICAL", "X", "infusion of expanded autologous cells", True),
        ("DRUG", "hUC-MSC", "umbilical cord mesenchymal stem cells", True),  # names a type
        ("DRUG", "G-CSF", "mobilises stem cells", False),  # a drug: a named type only
        ("BIOLOGICAL", "Ocrelizumab", "depletes CD20+ B cells", False),
        ("BIOLOGICAL", "MSC exosomes", "exosomes from mesenchymal stem cells", False),
        ("BIOLOGICAL", "Secretome", "MSC conditioned medium", False),
        ("OTHER", "Placebo", "vehicle without cells", False),
        ("DEVICE", "Stem cell device", "stem cells", False),
        ("BEHAVIORAL", "Exercise", "", False),
    ],
)
def test_cell_therapy_signal(kind, name, text, is_cell):
    reason = mapping.cell_therapy_signal(kind, name, "\n".join([name, text]))
    assert bool(reason) is is_cell
