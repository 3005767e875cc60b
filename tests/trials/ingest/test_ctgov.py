"""ClinicalTrials.gov v2 JSON → MappedStudy: the real samples, composed cell-therapy fixtures,
and bad input."""

import contextlib
import dataclasses
import datetime
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import FIXTURES, SHARED, shared_file
from trials.ingest.parsers import MAX_BYTES, ImportFileError, ctgov
from trials.models import Intervention, Outcome, Site, Trial

CTGOV_SAMPLES = SHARED / "data" / "ctgov"
COMPOSED = FIXTURES / "ctgov"


def parse(path: Path) -> ctgov.CtgovFile:
    return ctgov.parse_file(path.read_bytes())


def composed(name: str) -> dict:
    return json.loads((COMPOSED / name).read_text(encoding="utf-8"))


def one_study(document: dict) -> ctgov.MappedStudy:
    (study,) = ctgov.parse_file(json.dumps(document)).studies
    return study


def minimal(**modules) -> dict:
    """A v2 study with only the modules a test needs."""
    identification = {"nctId": "NCT01234567", "briefTitle": "A study"}
    identification.update(modules.pop("identificationModule", {}))
    return {"protocolSection": {"identificationModule": identification, **modules}}


# --- The real samples (shared/data/ctgov): each maps, or is reported unsupported --------------

D = datetime.date
# nct id: phase, status, (start, precision), (primary completion, precision), (completion, p.),
# enrollment field and count, sponsor, site countries, site count, primary and secondary
# outcome counts, has_results, follow-up months, PMIDs. Read from the JSON files by hand.
SAMPLES = {
    "NCT00763412": (
        "NA", "COMPLETED", (D(2006, 11, 1), "month"), (D(2013, 1, 1), "month"),
        (D(2013, 1, 1), "month"), ("actual_enrollment", 31), "Arbelaez, Ana Maria",
        {"US"}, 1, 3, 6, True, 24, (),
    ),
    "NCT00973089": (
        "NA", "WITHDRAWN", (D(2010, 5, 1), "month"), (D(2015, 3, 1), "month"),
        (D(2015, 3, 1), "month"), ("actual_enrollment", 0), "Hadassah Medical Organization",
        {"IL"}, 1, 1, 0, False, 36, ("18519994",),
    ),
    "NCT02210780": (
        "PHASE2", "COMPLETED", (D(2014, 8, 5), "day"), (D(2015, 9, 15), "day"),
        (D(2015, 9, 15), "day"), ("actual_enrollment", 194), "Regeneron Pharmaceuticals",
        {"US"}, 42, 1, 10, True, 4, (),
    ),
    "NCT03418623": (
        "PHASE2", "COMPLETED", (D(2018, 3, 8), "day"), (D(2020, 3, 13), "day"),
        (D(2020, 3, 13), "day"), ("actual_enrollment", 24), "Laboratorio Farmaceutico Ct S.r.l.",
        {"US"}, 1, 1, 2, False, None, ("23032071",),
    ),
    "NCT04207047": (
        "NA", "UNKNOWN", (D(2018, 10, 2), "day"), (D(2018, 10, 31), "day"),
        (D(2020, 3, 31), "day"), ("actual_enrollment", 3), "LUTRONIC Corporation",
        {"US"}, 1, 1, 1, False, None, (),
    ),
    "NCT05594173": (
        None, "COMPLETED", (D(2019, 9, 13), "day"), (D(2020, 12, 20), "day"),
        (D(2020, 12, 20), "day"), ("actual_enrollment", 20), "University Health Network, Toronto",
        {"CA"}, 1, 2, 0, True, None, (),
    ),
    "NCT06171568": (
        None, "NOT_YET_RECRUITING", (D(2024, 2, 1), "day"), (D(2025, 2, 1), "day"),
        (D(2025, 2, 1), "day"), ("target_enrollment", 400),
        "Assistance Publique - Hôpitaux de Paris", {"FR"}, 1, 1, 7, False, 12,
        ("26269030", "29016402", "16983222", "27323708", "22460612", "30031892", "31073378",
         "24102622"),
    ),
}  # fmt: skip
UNSUPPORTED = {
    "NCT00151216.xml": "classic-xml",
    "NCT01220531.xml": "classic-xml",
    "NCT04780763.json": "classic-json",
}


def test_every_sample_is_in_a_table():
    """A sample added to shared/data/ctgov must be added to one of the tables above."""
    shared_file("data", "ctgov", "README.md")
    files = {p.name for p in CTGOV_SAMPLES.iterdir() if p.suffix in (".json", ".xml")}
    assert files == {f"{nct}.json" for nct in SAMPLES} | set(UNSUPPORTED)


@pytest.mark.parametrize("nct_id", SAMPLES)
def test_sample_maps_to_the_values_in_its_json(nct_id):
    (
        phase, status, start, primary_completion, completion, (enrollment_field, count),
        sponsor, countries, site_count, n_primary, n_secondary, has_results, follow_up, pmids,
    ) = SAMPLES[nct_id]  # fmt: skip
    result = parse(shared_file("data", "ctgov", f"{nct_id}.json"))
    assert result.format == "v2" and result.supported
    (study,) = result.studies
    fields = study.fields

    assert study.nct_id == nct_id
    assert study.registry_ids[0] == ("nct", nct_id)
    assert fields.get("phase") == phase
    assert fields["status"] == status
    assert (fields["start_date"], fields["start_date_precision"]) == start
    assert (
        fields["primary_completion_date"],
        fields["primary_completion_date_precision"],
    ) == primary_completion
    assert (fields["completion_date"], fields["completion_date_precision"]) == completion
    assert fields[enrollment_field] == count
    assert not {"target_enrollment", "actual_enrollment"} - {enrollment_field} & fields.keys()
    assert study.sponsor == sponsor
    assert {site.country for site in study.sites} == countries
    assert len(study.sites) == site_count
    kinds = [outcome.kind for outcome in study.outcomes]
    assert (kinds.count("primary"), kinds.count("secondary")) == (n_primary, n_secondary)
    assert fields["has_results"] is has_results
    assert fields.get("follow_up_months") == follow_up
    assert study.pmids == pmids
    # None of the samples is a cell therapy, and each says why not.
    assert study.is_cell_therapy is False
    assert study.cell_therapy_reason.startswith("no intervention is a cell product (")


@pytest.mark.parametrize("nct_id", SAMPLES)
def test_sample_values_agree_with_the_json_read_directly(nct_id):
    """The same checks as above, against the JSON itself rather than a hand-written table."""
    path = shared_file("data", "ctgov", f"{nct_id}.json")
    raw = json.loads(path.read_text(encoding="utf-8"))
    ps = raw["protocolSection"]
    (study,) = parse(path).studies

    assert study.raw == raw
    assert study.nct_id == ps["identificationModule"]["nctId"]
    assert study.fields["title"] in (
        ps["identificationModule"].get("officialTitle"),
        ps["identificationModule"]["briefTitle"],
    )
    assert study.fields["status"] == ps["statusModule"]["overallStatus"]
    phases = ps["designModule"].get("phases", [])
    assert study.fields.get("phase", "") == "_".join(phases)
    info = ps["designModule"]["enrollmentInfo"]
    target = "target_enrollment" if info["type"] == "ESTIMATED" else "actual_enrollment"
    assert study.fields[target] == info["count"]
    assert (
        study.fields["start_date"]
        .isoformat()
        .startswith(ps["statusModule"]["startDateStruct"]["date"])
    )
    locations = ps["contactsLocationsModule"]["locations"]
    assert [site.city for site in study.sites] == [loc.get("city", "") for loc in locations]
    outcomes = ps["outcomesModule"]
    assert [o.measure for o in study.outcomes] == [
        o["measure"]
        for key in ("primaryOutcomes", "secondaryOutcomes")
        for o in outcomes.get(key, [])
    ]
    assert study.collaborators == tuple(
        c["name"] for c in ps["sponsorCollaboratorsModule"].get("collaborators", [])
    )
    assert study.fields["has_results"] is raw["hasResults"]


@pytest.mark.parametrize(("name", "fmt"), UNSUPPORTED.items())
def test_older_formats_are_reported_unsupported_with_a_reason(name, fmt):
    result = parse(shared_file("data", "ctgov", name))
    assert result.format == fmt
    assert result.studies == ()
    assert not result.supported
    assert "classic ClinicalTrials.gov API" in result.unsupported
    assert "api/v2" in result.unsupported


def test_sample_unmapped_values_name_the_path_and_the_value():
    (study,) = parse(shared_file("data", "ctgov", "NCT00763412.json")).studies
    assert study.conditions == ()
    assert set(study.unmapped) == {
        'identificationModule.secondaryIdInfos: "P60DK020579" — (NIH) not a registry id we record',
        'conditionsModule.conditions: "Cystic Fibrosis Related Diabetes" — no matching condition',
        'conditionsModule.conditions: "Pancreatic Insufficiency" — no matching condition',
    }


def test_sample_with_a_time_frame_too_short_for_months_says_so():
    (study,) = parse(shared_file("data", "ctgov", "NCT04207047.json")).studies
    assert "follow_up_months" not in study.fields
    assert (
        'outcomesModule.primaryOutcomes[].timeFrame: "14 days" — follow-up left empty: shorter '
        "than half a month"
    ) in study.unmapped


# --- Composed cell-therapy fixtures (fixtures/ctgov beside this module, from reference-trials.md) -

# file: nct id, phase, conditions, registry ids after the NCT one, and the cell arm's
# (cell type, origin, tissue source, routes, dose min, dose max, dose unit, administrations).
FIXTURE_TABLE = {
    "nurown-phase3-NCT03280056.json": (
        "NCT03280056", "PHASE3", ("als",), (),
        ("msc-ntf", "autologous", "bone_marrow", ("intrathecal",), 100_000_000, 125_000_000,
         "cells", 3),
    ),
    "nsc-spms-leone-NCT03282760.json": (
        "NCT03282760", "PHASE1", ("spms",), (("eudract", "2015-004855-37"),),
        ("fetal-nsc", "allogeneic", "fetal_brain", ("intracerebroventricular",), 5_000_000,
         24_000_000, "cells", None),
    ),
    "stems-NCT03269071.json": (
        "NCT03269071", "PHASE1", ("ppms", "spms"), (("eudract", "2016-002020-86"),),
        ("fetal-nsc", "allogeneic", "", ("intrathecal",), 700_000, 5_700_000, "cells_per_kg", 1),
    ),
    "korean-bm-msc-als-NCT01363401.json": (
        "NCT01363401", "PHASE2", ("als",), (),
        ("bm-msc", "autologous", "bone_marrow", ("intrathecal",), None, None, "", 2),
    ),
    "mist-hsct-rrms-NCT00273364.json": (
        "NCT00273364", "PHASE2", ("rrms",), (),
        ("hsc", "autologous", "", (), None, None, "", None),
    ),
    "hnsc-als-italy-NCT01640067.json": (
        "NCT01640067", "PHASE1", ("als",), (),
        ("fetal-nsc", "allogeneic", "", ("intraspinal",), None, None, "", None),
    ),
    "wj-msc-als-poland-NCT02881476.json": (
        "NCT02881476", None, ("als",), (),
        ("uc-msc", "", "umbilical_cord", ("intrathecal",), 420_000, 420_000, "cells_per_kg", None),
    ),
    "beat-ms-search-response-NCT04047628.json": (
        "NCT04047628", "PHASE3", ("ms",), (),
        ("hsc", "autologous", "", (), None, None, "", None),
    ),
}  # fmt: skip


def test_every_composed_fixture_says_it_was_composed():
    files = sorted(COMPOSED.glob("*.json"))
    assert {p.name for p in files} == set(FIXTURE_TABLE)
    for path in files:
        comment = json.loads(path.read_text(encoding="utf-8"))["_comment"]
        assert "Composed for tests from shared/data/reference-trials.md" in comment
        assert "NOT downloaded" in comment


@pytest.mark.parametrize("name", FIXTURE_TABLE)
def test_composed_fixture_maps_to_the_expected_cells_route_origin_phase_and_condition(name):
    nct_id, phase, conditions, other_ids, expected_arm = FIXTURE_TABLE[name]
    (study,) = parse(COMPOSED / name).studies
    assert study.nct_id == nct_id
    assert study.fields.get("phase") == phase
    assert study.conditions == conditions
    assert study.registry_ids == (("nct", nct_id), *other_ids)
    assert study.is_cell_therapy, study.cell_therapy_reason
    cell_arms = [arm for arm in study.arms if arm.is_cell_therapy]
    assert len(cell_arms) == 1
    arm = cell_arms[0]
    assert (
        arm.cell_type,
        arm.origin,
        arm.tissue_source,
        arm.routes,
        arm.dose_min,
        arm.dose_max,
        arm.dose_unit,
        arm.administrations,
    ) == expected_arm
    # The comparator arms get no cells.
    assert all(a.cell_type is None for a in study.arms if not a.is_cell_therapy)


def test_nurown_phase_3_design_sites_and_follow_up():
    (study,) = parse(COMPOSED / "nurown-phase3-NCT03280056.json").studies
    assert study.fields["actual_enrollment"] == 196
    assert "target_enrollment" not in study.fields
    assert study.fields["masking"] == "QUADRUPLE"
    assert study.fields["control"] == "placebo"
    assert study.fields["follow_up_months"] == 6  # 28 weeks
    assert study.fields["has_results"] is True
    assert (study.sponsor, study.collaborators) == ("BrainStorm", ("CIRM",))
    assert [site.country for site in study.sites] == ["US"] * 6
    arm = study.arms[0]
    assert arm.interval == "every 8 weeks"
    assert arm.role == "experimental" and study.arms[1].role == "placebo"
    assert "MSC-NTF" in study.cell_therapy_reason


def test_leone_dates_target_enrollment_and_co_treatment():
    (study,) = parse(COMPOSED / "nsc-spms-leone-NCT03282760.json").studies
    assert study.fields["start_date"] == datetime.date(2017, 9, 9)
    assert study.fields["start_date_precision"] == "day"
    assert study.fields["primary_completion_date"] == datetime.date(2021, 5, 29)
    assert study.fields["target_enrollment"] == 24
    assert study.fields["follow_up_months"] == 12
    assert {site.country for site in study.sites} == {"IT", "CH"}
    # The tacrolimus sentence of the arm is about the drug, not the cells: its "6 months" gives
    # no interval, and no route is taken from it.
    assert study.arms[0].interval == ""
    assert study.arms[0].routes == ("intracerebroventricular",)


def test_hnsc_als_month_precision_dates_and_no_concentration_as_dose():
    (study,) = parse(COMPOSED / "hnsc-als-italy-NCT01640067.json").studies
    assert (study.fields["start_date"], study.fields["start_date_precision"]) == (
        datetime.date(2011, 12, 1),
        "month",
    )
    assert (study.fields["completion_date"], study.fields["completion_date_precision"]) == (
        datetime.date(2015, 12, 1),
        "month",
    )
    assert study.arms[0].dose_min is None  # "50,000 cells/µL" is a concentration
    assert "follow_up_months" not in study.fields
    assert (
        "outcomesModule.primaryOutcomes[].timeFrame: null — follow-up left empty: no duration "
        "stated"
    ) in study.unmapped


def test_beat_ms_search_response_estimated_enrollment_and_month_precision():
    result = parse(COMPOSED / "beat-ms-search-response-NCT04047628.json")
    (study,) = result.studies
    assert study.fields["status"] == "RECRUITING"
    assert study.fields["target_enrollment"] == 156
    assert "actual_enrollment" not in study.fields
    assert study.fields["primary_completion_date"] == datetime.date(2026, 10, 1)
    assert study.fields["primary_completion_date_precision"] == "month"
    assert study.fields["masking"] == "SINGLE"
    assert study.fields["control"] == "active"


def test_korean_trial_site_uses_the_registry_spelling_of_korea():
    (study,) = parse(COMPOSED / "korean-bm-msc-als-NCT01363401.json").studies
    assert [site.country for site in study.sites] == ["KR"]
    assert study.fields["follow_up_months"] == 6  # "4 and 6 months"
    assert study.fields["control"] == "active"


def test_a_search_response_with_several_studies_maps_each():
    documents = [
        composed("nurown-phase3-NCT03280056.json"),
        composed("stems-NCT03269071.json"),
    ]
    response = {"studies": documents, "nextPageToken": "abc"}
    result = ctgov.parse_file(json.dumps(response).encode())
    assert [s.nct_id for s in result.studies] == ["NCT03280056", "NCT03269071"]


# --- The output's shape ----------------------------------------------------------------------


def all_mapped_studies():
    studies = [s for name in FIXTURE_TABLE for s in parse(COMPOSED / name).studies]
    if CTGOV_SAMPLES.exists():
        studies += [s for nct in SAMPLES for s in parse(CTGOV_SAMPLES / f"{nct}.json").studies]
    return studies


def test_mapped_names_are_model_field_names():
    """The integrator passes these to the services: every key must be a field of our models."""
    trial_fields = {f.name for f in Trial._meta.get_fields()}
    intervention_fields = {f.name for f in Intervention._meta.get_fields()}
    outcome_fields = {f.name for f in Outcome._meta.get_fields()}
    site_fields = {f.name for f in Site._meta.get_fields()}
    for study in all_mapped_studies():
        assert set(study.fields) <= trial_fields
        for arm in study.arms:
            assert set(arm.as_fields()) <= intervention_fields
        for outcome in study.outcomes:
            assert {f.name for f in dataclasses.fields(outcome)} - {"description"} <= outcome_fields
        for site in study.sites:
            assert {f.name for f in dataclasses.fields(site)} <= site_fields


def test_mapped_values_fit_the_model_choices():
    """Choice values are our codes, so full_clean() accepts them."""
    trial = {f.name: f for f in Trial._meta.get_fields() if getattr(f, "choices", None)}
    arm = {f.name: f for f in Intervention._meta.get_fields() if getattr(f, "choices", None)}
    for study in all_mapped_studies():
        for name, value in study.fields.items():
            if name in trial:
                assert value in {code for code, _label in trial[name].choices}, (name, value)
        for mapped_arm in study.arms:
            for name, value in mapped_arm.as_fields().items():
                if name in arm and value != "":
                    assert value in {code for code, _label in arm[name].choices}, (name, value)


def test_mapped_study_is_frozen():
    (study,) = parse(COMPOSED / "stems-NCT03269071.json").studies
    with pytest.raises(dataclasses.FrozenInstanceError):
        study.nct_id = "NCT00000000"
    with pytest.raises(dataclasses.FrozenInstanceError):
        study.arms[0].cell_type = "msc"


def test_comment_key_is_ignored_and_raw_is_kept():
    document = composed("stems-NCT03269071.json")
    study = one_study(document)
    assert study.raw == document
    assert not any("_comment" in note for note in study.unmapped)


# --- Rules applied to a study: what is left for the curator -----------------------------------


def test_a_completion_date_before_the_start_as_stored_is_left_empty_and_listed():
    study = one_study(
        minimal(
            statusModule={
                "startDateStruct": {"date": "2021-03-15"},
                "primaryCompletionDateStruct": {"date": "2021-03"},  # stored as 1 March
                "completionDateStruct": {"date": "2022"},
            }
        )
    )
    assert "primary_completion_date" not in study.fields
    assert study.fields["completion_date"] == datetime.date(2022, 1, 1)
    assert (
        'statusModule.primaryCompletionDateStruct.date: "2021-03" — before the start date '
        "2021-03-15 as stored; left empty"
    ) in study.unmapped


def test_a_date_that_is_not_a_date_is_listed():
    study = one_study(minimal(statusModule={"startDateStruct": {"date": "March 2021"}}))
    assert "start_date" not in study.fields
    assert any(note.startswith("statusModule.startDateStruct.date:") for note in study.unmapped)


@pytest.mark.parametrize(
    ("status", "mapped"),
    [("AVAILABLE", None), ("WITHHELD", None), ("SUSPENDED", "SUSPENDED")],
)
def test_expanded_access_statuses_are_left_for_the_curator(status, mapped):
    study = one_study(minimal(statusModule={"overallStatus": status}))
    assert study.fields.get("status") == mapped
    if mapped is None:
        assert f'statusModule.overallStatus: "{status}" — no matching status' in study.unmapped


def test_enrollment_without_a_type_is_not_guessed():
    study = one_study(minimal(designModule={"enrollmentInfo": {"count": 40}}))
    assert not {"target_enrollment", "actual_enrollment"} & study.fields.keys()
    assert any("enrollmentInfo.type" in note for note in study.unmapped)


def test_keywords_refine_the_conditions_and_never_add_an_unrelated_disease():
    study = one_study(
        minimal(
            conditionsModule={
                "conditions": ["Multiple Sclerosis", "Healthy Volunteers"],
                "keywords": ["SPMS", "ALS", "stem cells"],
            }
        )
    )
    assert study.conditions == ("spms",)
    assert (
        'conditionsModule.keywords: "ALS" — names als, which the conditions do not; left for '
        "the curator"
    ) in study.unmapped
    assert (
        'conditionsModule.conditions: "Healthy Volunteers" — no matching condition'
        in study.unmapped
    )


def test_keywords_stand_in_when_no_condition_name_matches():
    study = one_study(
        minimal(
            conditionsModule={
                "conditions": ["Neurodegenerative Diseases"],
                "keywords": ["Amyotrophic Lateral Sclerosis"],
            }
        )
    )
    assert study.conditions == ("als",)


def test_secondary_ids_become_registry_ids_only_in_the_right_shape():
    study = one_study(
        minimal(
            identificationModule={
                "secondaryIdInfos": [
                    {"id": "2016-002020-86", "type": "EUDRACT_NUMBER"},
                    {"id": "2023-512345-12-00", "type": "CTIS"},
                    {"id": "2016-2020-86", "type": "EUDRACT_NUMBER"},
                    {"id": "R01NS000000", "type": "NIH"},
                ]
            }
        )
    )
    assert study.registry_ids == (
        ("nct", "NCT01234567"),
        ("eudract", "2016-002020-86"),
        ("euct", "2023-512345-12-00"),
    )
    assert (
        'identificationModule.secondaryIdInfos: "2016-2020-86" — (EUDRACT_NUMBER) not a '
        "registry id we record"
    ) in study.unmapped


def test_sites_without_a_country_code_are_listed_not_guessed():
    places = [
        ("Hospital A", "Tehran", "Iran, Islamic Republic of"),
        ("Hospital B", "Ankara", "Türkiye"),
        ("Hospital C", "Belgrade", "Former Serbia and Montenegro"),
    ]
    locations = [{"facility": f, "city": city, "country": c} for f, city, c in places]
    study = one_study(minimal(contactsLocationsModule={"locations": locations}))
    assert [(s.name, s.city, s.country) for s in study.sites] == [
        ("Hospital A", "Tehran", "IR"),
        ("Hospital B", "Ankara", "TR"),
    ]
    assert (
        'contactsLocationsModule.locations[2].country: "Former Serbia and Montenegro" — no ISO '
        "3166 country code; site left out"
    ) in study.unmapped


def test_other_outcomes_and_references():
    study = one_study(
        minimal(
            outcomesModule={
                "primaryOutcomes": [
                    {"measure": "EDSS", "timeFrame": "Week 48", "description": "d"}
                ],
                "otherOutcomes": [{"measure": "MRI lesions", "timeFrame": "Week 48"}],
            },
            referencesModule={
                "references": [
                    {"pmid": "30644983", "type": "RESULT", "citation": "Burt RK et al. JAMA."},
                    {"type": "BACKGROUND", "citation": "No PMID here."},
                ]
            },
        )
    )
    assert [(o.kind, o.measure, o.time_frame, o.description) for o in study.outcomes] == [
        ("primary", "EDSS", "Week 48", "d")
    ]
    assert study.fields["follow_up_months"] == 11
    assert (
        'outcomesModule.otherOutcomes[0]: "MRI lesions" — an other pre-specified outcome; we '
        "record primary and secondary only"
    ) in study.unmapped
    assert study.pmids == ("30644983",)
    assert [(r.pmid, r.type) for r in study.references] == [
        ("30644983", "RESULT"),
        ("", "BACKGROUND"),
    ]


def test_interventions_without_arm_groups_become_arms():
    study = one_study(
        minimal(
            armsInterventionsModule={
                "interventions": [
                    {
                        "type": "BIOLOGICAL",
                        "name": "Autologous adipose-derived mesenchymal stem cells",
                        "description": "Intravenous infusion of 1 x 10^6 cells/kg.",
                    }
                ]
            }
        )
    )
    (arm,) = study.arms
    assert (arm.label, arm.role, arm.cell_type, arm.tissue_source) == (
        "Autologous adipose-derived mesenchymal stem cells",
        "",
        "ad-msc",
        "adipose",
    )
    assert arm.routes == ("intravenous",)
    assert (arm.dose_min, arm.dose_unit) == (1_000_000, "cells_per_kg")
    assert "role" not in arm.as_fields()  # the model default applies


def test_a_cell_arm_whose_cell_type_is_not_ours_is_listed():
    study = one_study(
        minimal(
            armsInterventionsModule={
                "armGroups": [{"label": "Muse", "type": "EXPERIMENTAL"}],
                "interventions": [
                    {
                        "type": "BIOLOGICAL",
                        "name": "Bone marrow-derived Muse cells",
                        "armGroupLabels": ["Muse"],
                    }
                ],
            }
        )
    )
    assert study.is_cell_therapy
    assert study.arms[0].cell_type is None
    assert study.arms[0].tissue_source == "bone_marrow"
    assert (
        'armsInterventionsModule.armGroups[0] "Muse": "Biological: Bone marrow-derived Muse '
        'cells" — a cell product, but no cell type of our vocabulary is named'
    ) in study.unmapped


def test_a_bone_marrow_mononuclear_cell_arm_maps_to_its_own_term():
    # Migration 0011: unselected marrow cells are neither MSC nor HSC (the Murcia ALS trials).
    study = one_study(
        minimal(
            armsInterventionsModule={
                "armGroups": [{"label": "BM-MNC", "type": "EXPERIMENTAL"}],
                "interventions": [
                    {
                        "type": "BIOLOGICAL",
                        "name": "Autologous bone marrow mononuclear cells",
                        "description": "Injected into the tibialis anterior muscle.",
                        "armGroupLabels": ["BM-MNC"],
                    }
                ],
            }
        )
    )
    (arm,) = study.arms
    assert (arm.cell_type, arm.origin, arm.tissue_source) == (
        "bm-mnc",
        "autologous",
        "bone_marrow",
    )
    assert not any("BM-MNC" in line for line in study.unmapped)


def test_a_cell_free_product_is_not_a_cell_therapy():
    study = one_study(
        minimal(
            armsInterventionsModule={
                "interventions": [
                    {
                        "type": "BIOLOGICAL",
                        "name": "MSC-derived exosomes",
                        "description": "Exosomes isolated from mesenchymal stem cells.",
                    }
                ]
            }
        )
    )
    assert not study.is_cell_therapy
    assert study.cell_therapy_reason == (
        "no intervention is a cell product (Biological: MSC-derived exosomes)"
    )
    assert study.arms[0].cell_type is None


def test_a_study_without_interventions_says_so():
    study = one_study(minimal())
    assert (study.is_cell_therapy, study.cell_therapy_reason) == (
        False,
        "the study lists no interventions",
    )


# --- Bad input: one error type, a clear message, the record named -------------------------------


def nurown_bytes() -> bytes:
    return (COMPOSED / "nurown-phase3-NCT03280056.json").read_bytes()


def test_malformed_json():
    data = b'{"protocolSection": {"identificationModule": {"nctId": "NCT03280056",}}}'
    with pytest.raises(ImportFileError, match=r"not valid JSON: .* line 1, column \d+") as exc:
        ctgov.parse_file(data)
    assert exc.value.record == "NCT03280056"


@pytest.mark.parametrize(
    ("document", "found"),
    [
        ({"hello": "world"}, "found an object with keys hello"),
        ({}, "found an object with keys (none)"),
        ("a string", "found a JSON str"),
        (42, "found a JSON int"),
        ({"studies": "none"}, "found an object with keys studies"),
    ],
)
def test_valid_json_that_is_not_a_study(document, found):
    with pytest.raises(
        ImportFileError, match=r"valid JSON but not a ClinicalTrials\.gov study"
    ) as e:
        ctgov.parse_file(json.dumps(document))
    assert found in str(e.value)


def test_a_search_response_with_a_bad_study_names_its_position():
    response = {"studies": [composed("stems-NCT03269071.json"), {"nctId": "NCT00000001"}]}
    with pytest.raises(ImportFileError, match='no "protocolSection" object') as exc:
        ctgov.parse_file(json.dumps(response))
    assert exc.value.record == 2


@pytest.mark.parametrize("nct_id", [None, "", "NCT123", "12345678", 3280056])
def test_a_study_without_an_nct_number(nct_id):
    document = composed("stems-NCT03269071.json")
    document["protocolSection"]["identificationModule"]["nctId"] = nct_id
    with pytest.raises(ImportFileError, match="not an NCT number") as exc:
        ctgov.parse_file(json.dumps(document))
    assert exc.value.record == 1


@pytest.mark.parametrize(
    ("phases", "named"),
    [
        (["PHASE5"], "'PHASE5'"),
        (["PHASE1", "PHASE3"], "PHASE1 \\+ PHASE3"),
        ("PHASE1", "not a list"),
    ],
)
def test_an_unknown_phase_code_is_an_error_naming_the_value(phases, named):
    document = composed("nurown-phase3-NCT03280056.json")
    document["protocolSection"]["designModule"]["phases"] = phases
    with pytest.raises(ImportFileError, match=named) as exc:
        ctgov.parse_file(json.dumps(document))
    assert exc.value.record == "NCT03280056"
    assert "designModule.phases" in str(exc.value)


def test_a_truncated_file():
    data = nurown_bytes()
    with pytest.raises(ImportFileError, match="truncated") as exc:
        ctgov.parse_file(data[: len(data) // 2])
    assert exc.value.record == "NCT03280056"


@pytest.mark.parametrize("data", [b"", b"   \n\t", "", b"\xef\xbb\xbf"])
def test_an_empty_file(data):
    with pytest.raises(ImportFileError, match="the file is empty"):
        ctgov.parse_file(data)


def test_a_50_mb_file_is_refused_before_it_is_parsed():
    data = b" " * (50 * 1024 * 1024)
    with pytest.raises(ImportFileError, match=r"50\.0 MB; the limit is 10 MB"):
        ctgov.parse_file(data)


def test_the_size_cap_is_max_bytes():
    padding = MAX_BYTES - len(nurown_bytes())
    assert ctgov.parse_file(nurown_bytes() + b" " * padding).studies  # exactly at the cap
    with pytest.raises(ImportFileError, match="the limit is 10 MB"):
        ctgov.parse_file(nurown_bytes() + b" " * (padding + 1))


def test_a_file_that_is_not_utf8():
    with pytest.raises(ImportFileError, match="not UTF-8"):
        ctgov.parse_file('{"protocolSection": "café"}'.encode("latin-1"))


def test_html_is_not_json():
    with pytest.raises(ImportFileError, match="XML or HTML"):
        ctgov.parse_file(b"<!DOCTYPE html><html><body>Rate limited</body></html>")


def test_a_byte_order_mark_is_accepted():
    assert ctgov.parse_file(b"\xef\xbb\xbf" + nurown_bytes()).studies[0].nct_id == "NCT03280056"


# --- Whatever the JSON holds, the parser answers with a study or the one error type ------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
MODULE_PATHS = [
    ("identificationModule", "secondaryIdInfos"),
    ("statusModule", "startDateStruct"),
    ("designModule", "phases"),
    ("designModule", "enrollmentInfo"),
    ("conditionsModule", "conditions"),
    ("armsInterventionsModule", "armGroups"),
    ("armsInterventionsModule", "interventions"),
    ("outcomesModule", "primaryOutcomes"),
    ("contactsLocationsModule", "locations"),
    ("referencesModule", "references"),
    ("sponsorCollaboratorsModule", "collaborators"),
]


@settings(max_examples=150, deadline=None)
@given(document=json_values)
def test_any_json_gives_studies_or_the_one_error(document):
    with contextlib.suppress(ImportFileError):
        ctgov.parse_file(json.dumps(document))


@settings(max_examples=150, deadline=None)
@given(path=st.sampled_from(MODULE_PATHS), value=json_values)
def test_any_value_in_a_study_gives_a_study_or_the_one_error(path, value):
    document = composed("korean-bm-msc-als-NCT01363401.json")
    module, key = path
    document["protocolSection"].setdefault(module, {})[key] = value
    with contextlib.suppress(ImportFileError):
        ctgov.parse_file(json.dumps(document))


# --- Status verified date (issue 9) ---------------------------------------------------------


def test_the_registry_verified_month_dates_the_status():
    study = one_study(
        minimal(statusModule={"overallStatus": "RECRUITING", "statusVerifiedDate": "2024-10"})
    )
    assert study.fields["status"] == "RECRUITING"
    assert (
        study.fields["status_checked"],
        study.fields["status_checked_precision"],
        study.fields["status_source"],
    ) == (datetime.date(2024, 10, 1), "month", "registry_verified")


def test_a_sample_record_carries_its_status_verified_month():
    # NCT00763412.json says "statusVerifiedDate": "2017-05" beside "COMPLETED".
    (study,) = parse(shared_file("data", "ctgov", "NCT00763412.json")).studies
    assert study.fields["status_checked"] == datetime.date(2017, 5, 1)
    assert study.fields["status_checked_precision"] == "month"


def test_a_verified_date_without_a_status_dates_nothing():
    study = one_study(minimal(statusModule={"statusVerifiedDate": "2024-10"}))
    assert "status_checked" not in study.fields and "status_source" not in study.fields


def test_a_malformed_verified_date_is_listed_not_guessed():
    study = one_study(
        minimal(statusModule={"overallStatus": "COMPLETED", "statusVerifiedDate": "Oct 2024"})
    )
    assert "status_checked" not in study.fields
    assert any("statusVerifiedDate" in line for line in study.unmapped)
