"""The registry-code, date, duration, country and identifier rules, one table each."""

import datetime

import pytest

from trials.ingest.parsers import rules
from trials.models import Publication


@pytest.mark.parametrize(
    ("phases", "expected"),
    [
        (["PHASE1"], "PHASE1"),
        (["EARLY_PHASE1"], "EARLY_PHASE1"),
        (["PHASE1", "PHASE2"], "PHASE1_PHASE2"),
        (["PHASE2", "PHASE1"], "PHASE1_PHASE2"),
        (["PHASE2", "PHASE3"], "PHASE2_PHASE3"),
        (["PHASE3"], "PHASE3"),
        (["PHASE4"], "PHASE4"),
        (["NA"], "NA"),
        (["phase2"], "PHASE2"),
        (["PHASE2", "PHASE2"], "PHASE2"),
        ([], ""),
    ],
)
def test_map_phase(phases, expected):
    assert rules.map_phase(phases) == expected


@pytest.mark.parametrize(
    ("phases", "named"),
    [
        (["PHASE5"], "'PHASE5'"),
        (["PHASE1", "PHASE_2"], "'PHASE_2'"),
        (["Phase 1/Phase 2"], "'PHASE 1/PHASE 2'"),
        (["PHASE1", "PHASE3"], "PHASE1 + PHASE3"),
        (["EARLY_PHASE1", "PHASE1"], "EARLY_PHASE1 + PHASE1"),
    ],
)
def test_map_phase_refuses_what_the_registry_does_not_use(phases, named):
    with pytest.raises(rules.UnknownCode, match=named.replace("+", r"\+")):
        rules.map_phase(phases)


@pytest.mark.parametrize(
    ("table", "value", "expected"),
    [
        (rules.STATUS, "RECRUITING", "RECRUITING"),
        (rules.STATUS, "ACTIVE_NOT_RECRUITING", "ACTIVE_NOT_RECRUITING"),
        (rules.STATUS, "UNKNOWN", "UNKNOWN"),
        (rules.STATUS, "AVAILABLE", None),  # expanded access: no equivalent
        (rules.STATUS, "APPROVED_FOR_MARKETING", None),
        (rules.STATUS, None, None),
        (rules.ALLOCATION, "NON_RANDOMIZED", "NON_RANDOMIZED"),
        (rules.ALLOCATION, "NA", "NA"),
        (rules.MASKING, "QUADRUPLE", "QUADRUPLE"),
        (rules.MASKING, "BLIND", None),
        (rules.ARM_ROLE, "PLACEBO_COMPARATOR", "placebo"),
        (rules.ARM_ROLE, "SHAM_COMPARATOR", "sham"),
        (rules.ARM_ROLE, "ACTIVE_COMPARATOR", "active_comparator"),
        (rules.ARM_ROLE, "NO_INTERVENTION", "no_intervention"),
        (rules.ARM_ROLE, "OTHER", None),
    ],
)
def test_map_code(table, value, expected):
    assert rules.map_code(table, value) == expected


@pytest.mark.parametrize(
    ("arm_types", "expected"),
    [
        (["EXPERIMENTAL", "PLACEBO_COMPARATOR"], "placebo"),
        (["EXPERIMENTAL", "SHAM_COMPARATOR"], "placebo"),
        (["EXPERIMENTAL", "ACTIVE_COMPARATOR"], "active"),
        (["EXPERIMENTAL", "PLACEBO_COMPARATOR", "ACTIVE_COMPARATOR"], None),
        (["EXPERIMENTAL"], None),
        (["EXPERIMENTAL", "NO_INTERVENTION"], None),
    ],
)
def test_map_control(arm_types, expected):
    assert rules.map_control(arm_types) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-03-15", (datetime.date(2021, 3, 15), "day")),
        ("2021-03", (datetime.date(2021, 3, 1), "month")),
        ("2021", (datetime.date(2021, 1, 1), "year")),
        (" 2017-09-09 ", (datetime.date(2017, 9, 9), "day")),
        ("2021-02-30", None),
        ("2021-13", None),
        ("March 2021", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_date(text, expected):
    assert rules.parse_date(text) == expected


@pytest.mark.parametrize(
    ("time_frame", "months"),
    [
        ("12 months", 12),
        ("96 weeks", 22),  # 96 × 12/52 = 22.2
        ("2 years", 24),
        ("Week 24", 6),  # 5.5 rounds up
        ("28 weeks after the first treatment", 6),
        ("52 weeks", 12),
        ("48 weeks", 11),
        ("Week 16", 4),
        ("Baseline to Week 16", 4),
        ("4 and 6 months", 6),
        ("Baseline, 6 months and 12 months", 12),
        ("Months 6, 12 and 18", 18),
        ("2 years (96 weeks)", 24),  # the longest stated
        ("2 year/end of study", 24),
        ("12-month", 12),
        ("1.5 years", 18),
        ("Half annually for three years", 36),
        ("Day 28", 1),
        ("up to 90 days", 3),
        ("14 days", None),  # under half a month
        ("Baseline (single timepoint only)", None),
        ("After 5 doses of medication...", None),
        ("end of study", None),
        ("", None),
        (None, None),
    ],
)
def test_follow_up_months(time_frame, months):
    assert rules.follow_up_months(time_frame) == months


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("United States", "US"),
        ("United Kingdom", "GB"),
        ("Italy", "IT"),
        ("switzerland", "CH"),
        ("Korea, Republic of", "KR"),
        ("Iran, Islamic Republic of", "IR"),
        ("Turkey", "TR"),
        ("Türkiye", "TR"),
        ("Russian Federation", "RU"),
        ("Czechia", "CZ"),
        ("Moldova, Republic of", "MD"),
        ("Macedonia, The Former Yugoslav Republic of", "MK"),
        ("Congo, The Democratic Republic of the", "CD"),
        ("  Poland ", "PL"),
        ("Former Serbia and Montenegro", None),
        ("Atlantis", None),
        ("", None),
        (None, None),
    ],
)
def test_country_code(name, code):
    assert rules.country_code(name) == code


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        ({"id": "2015-004855-37", "type": "EUDRACT_NUMBER"}, ("eudract", "2015-004855-37")),
        ({"id": "EudraCT 2015-004855-37", "type": "EUDRACT_NUMBER"}, ("eudract", "2015-004855-37")),
        (
            {"id": "2015-004855-37", "type": "OTHER", "domain": "EudraCT"},
            ("eudract", "2015-004855-37"),
        ),
        ({"id": "2015-4855-37", "type": "EUDRACT_NUMBER"}, None),  # wrong shape
        ({"id": "2015-004855-37", "type": "OTHER"}, None),  # not labelled EudraCT
        ({"id": "2023-512345-12-00", "type": "CTIS"}, ("euct", "2023-512345-12-00")),
        ({"id": "2023-412345-12-00", "type": "CTIS"}, None),  # an EU CT number has a 5
        ({"id": "nct03282760", "type": "REGISTRY"}, ("nct", "NCT03282760")),
        (
            {"id": "ISRCTN12345678", "type": "REGISTRY", "domain": "ISRCTN"},
            ("isrctn", "ISRCTN12345678"),
        ),
        ({"id": "P60DK020579", "type": "NIH"}, None),
        ({"id": "2023-A00386-39", "type": "OTHER", "domain": "IDRCB"}, None),
        ({"type": "EUDRACT_NUMBER"}, None),
    ],
)
def test_secondary_registry_id(info, expected):
    assert rules.secondary_registry_id(info) == expected


def test_find_registry_ids_in_free_text():
    text = (
        "Registered as NCT03282760 and nct03269071 (EudraCT 2015-004855-37); EU CT number "
        "2023-512345-12-00; ISRCTN12345678. Not ids: NCT0328276, doi 10.1000/2015-004855-37, "
        "NCT03282760 again."
    )
    assert rules.find_registry_ids(text) == [
        ("nct", "NCT03282760"),
        ("nct", "NCT03269071"),
        ("eudract", "2015-004855-37"),
        ("euct", "2023-512345-12-00"),
        ("isrctn", "ISRCTN12345678"),
    ]


@pytest.mark.parametrize(
    "doi",
    [
        "10.1038/s41591-022-02097-3",
        "  https://doi.org/10.1038/S41591-022-02097-3 ",
        "http://doi.org/10.1080/14712598.2024.2392307",
        "https://dx.doi.org/10.1002/ANA.24113",
        "doi:10.1097/MD.0000000000016881",
        "DOI:10.1097/MD.0000000000016881",
        "",
    ],
)
def test_normalise_doi_is_what_publication_clean_stores(doi):
    publication = Publication(title="", doi=doi)
    publication.clean()
    assert rules.normalise_doi(doi) == publication.doi


def _constraint_regex(name: str) -> str:
    constraint = next(c for c in Publication._meta.constraints if c.name == name)
    regexes = [value for key, value in constraint.condition.children if key.endswith("__regex")]
    return regexes[0]


def test_doi_and_pmid_shapes_are_the_publication_constraints():
    assert _constraint_regex("trials_publication_doi_format") == rules.DOI_PATTERN
    assert _constraint_regex("trials_publication_pmid_format") == rules.PMID_PATTERN


@pytest.mark.parametrize(
    ("value", "expected"),
    [("10.4103/2303-9027.138783", "10.4103/2303-9027.138783"), ("10.12/x", None), ("abc", None)],
)
def test_valid_doi(value, expected):
    assert rules.valid_doi(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("30644983", "30644983"), (" 18519994 ", "18519994"), ("0123", None), ("PMC123", None)],
)
def test_valid_pmid(value, expected):
    assert rules.valid_pmid(value) == expected
