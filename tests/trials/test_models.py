"""The database enforces the truth: bad values are refused by constraints, whatever the path."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests.helpers import TrialFactory, add_arm
from trials import services
from trials.models import CellType, Condition, Intervention, Phase, RegistryId, Site, Trial

pytestmark = pytest.mark.django_db


def raises_integrity(fn):
    with pytest.raises(IntegrityError), transaction.atomic():
        fn()


@pytest.mark.parametrize(
    "field, value",
    [
        ("phase", "PHASE5"),
        ("status", "ALMOST_DONE"),
        ("listing_type", "advert"),
        ("workflow", "live"),
        ("allocation", "RANDOM"),
        ("masking", "BLIND"),
        ("control", "sham"),
        ("start_date_precision", "week"),
    ],
)
def test_closed_vocabularies_are_enforced_by_the_database(field, value):
    trial = TrialFactory()
    # update() bypasses model validation entirely: only the CHECK constraint stands in the way.
    raises_integrity(lambda: Trial.objects.filter(pk=trial.pk).update(**{field: value}))


@pytest.mark.parametrize("field", ["target_enrollment", "actual_enrollment", "deaths"])
def test_counts_cannot_be_negative(field):
    trial = TrialFactory()
    raises_integrity(lambda: Trial.objects.filter(pk=trial.pk).update(**{field: -1}))


def test_completion_cannot_precede_start():
    trial = TrialFactory(start_date=datetime.date(2020, 5, 1))
    raises_integrity(
        lambda: Trial.objects.filter(pk=trial.pk).update(completion_date=datetime.date(2019, 1, 1))
    )


def test_completion_before_start_is_a_field_error_for_curators():
    with pytest.raises(ValidationError) as error:
        TrialFactory(
            start_date=datetime.date(2020, 5, 1), completion_date=datetime.date(2019, 1, 1)
        )
    assert "completion_date" in error.value.message_dict
    assert not Trial.objects.exists()


def test_treatment_related_saes_cannot_exceed_total():
    with pytest.raises(ValidationError) as error:
        TrialFactory(serious_adverse_events=1, treatment_related_saes=2)
    assert "treatment_related_saes" in error.value.message_dict


def test_dose_min_above_max_is_refused_by_database_and_validation():
    trial = TrialFactory()
    with pytest.raises(ValidationError) as error:
        add_arm(trial, dose_min=10, dose_max=5, dose_unit="cells")
    assert error.value.message_dict["dose_max"] == [
        "The highest dose cannot be below the lowest dose."
    ]
    arm = add_arm(trial, dose_min=5, dose_max=10, dose_unit="cells")
    raises_integrity(lambda: Intervention.objects.filter(pk=arm.pk).update(dose_min=11))


def test_a_dose_needs_a_unit():
    trial = TrialFactory()
    with pytest.raises(ValidationError) as error:
        add_arm(trial, dose_min=5_000_000)
    assert "dose_unit" in error.value.message_dict


@pytest.mark.parametrize(
    "registry, identifier",
    [
        ("nct", "NCT123"),
        ("nct", "NCT1234567890"),
        ("nct", "03282760"),
        ("eudract", "2015-4855-37"),
        ("euct", "2023-123456-12-00"),
        ("isrctn", "ISRCTN123"),
        ("other", ""),
    ],
)
def test_registry_ids_must_have_their_registrys_shape(registry, identifier):
    trial = TrialFactory()
    with pytest.raises(ValidationError) as error:
        services.registry_id_add(trial=trial, registry=registry, identifier=identifier)
    assert "identifier" in error.value.message_dict
    raises_integrity(
        lambda: RegistryId.objects.create(trial=trial, registry=registry, identifier=identifier)
    )


@pytest.mark.parametrize(
    "registry, identifier",
    [
        ("nct", "NCT03282760"),
        ("eudract", "2015-004855-37"),
        ("euct", "2023-512345-12-00"),
        ("isrctn", "ISRCTN12345678"),
        ("other", "UMIN000012345"),
    ],
)
def test_well_formed_registry_ids_are_accepted(registry, identifier):
    trial = TrialFactory()
    registry_id = services.registry_id_add(trial=trial, registry=registry, identifier=identifier)
    assert registry_id.pk


def test_registry_id_is_normalised_and_unique_across_trials():
    first, second = TrialFactory(), TrialFactory()
    registry_id = services.registry_id_add(trial=first, registry="nct", identifier=" nct03282760 ")
    assert registry_id.identifier == "NCT03282760"
    assert registry_id.url == "https://clinicaltrials.gov/study/NCT03282760"
    with pytest.raises(ValidationError):
        services.registry_id_add(trial=second, registry="nct", identifier="NCT03282760")


def test_site_country_must_be_an_iso_code():
    trial = TrialFactory()
    with pytest.raises(ValidationError):
        services.site_add(trial=trial, country="Italy")
    raises_integrity(lambda: Site.objects.create(trial=trial, country="1T"))


@pytest.mark.parametrize(
    "fields", [{"doi": "doi-not"}, {"pmid": "PMID1"}, {"pmcid": "9873560"}, {"year": 1492}]
)
def test_publication_identifiers_are_validated(fields):
    with pytest.raises(ValidationError) as error:
        services.publication_get_or_create(title="Synthetic", **fields)
    assert set(fields) <= set(error.value.message_dict)


def test_publications_are_deduplicated_by_doi_then_pmid():
    first = services.publication_get_or_create(
        title="Synthetic", doi="https://doi.org/10.1038/S41591-022-02097-3"
    )
    assert first.doi == "10.1038/s41591-022-02097-3"
    assert services.publication_get_or_create(title="Other", doi="10.1038/s41591-022-02097-3") == (
        first
    )
    by_pmid = services.publication_get_or_create(title="Synthetic 2", pmid="30644983")
    assert services.publication_get_or_create(title="Again", pmid="30644983") == by_pmid


def test_endpoint_met_only_on_primary_outcomes():
    trial = TrialFactory()
    with pytest.raises(ValidationError) as error:
        services.outcome_add(
            trial=trial, measure="EDSS", kind="secondary", primary_endpoint_met="yes"
        )
    assert "primary_endpoint_met" in error.value.message_dict


def test_hierarchical_terms_include_descendants():
    ids = Condition.objects.with_descendants(["ms"])
    slugs = set(Condition.objects.filter(pk__in=ids).values_list("slug", flat=True))
    assert slugs == {"ms", "rrms", "progressive-ms", "spms", "ppms"}
    msc = CellType.objects.with_descendants(["bm-msc"])
    assert set(CellType.objects.filter(pk__in=msc).values_list("slug", flat=True)) == {
        "bm-msc",
        "msc-ntf",
        "msc-np",
    }


def test_a_term_cannot_be_its_own_parent():
    als = Condition.objects.get(slug="als")
    raises_integrity(lambda: Condition.objects.filter(pk=als.pk).update(parent=als))


def test_phase_filter_codes_include_combined_phases():
    assert set(Phase.matching("PHASE2")) == {"PHASE1_PHASE2", "PHASE2", "PHASE2_PHASE3"}
    assert Phase.matching("PHASE3") == ["PHASE2_PHASE3", "PHASE3"]
    assert Phase.matching("NA") == ["NA"]


def test_trial_slug_is_unique_and_filled_from_the_acronym():
    first = TrialFactory(acronym="STEMS-TEST")
    second = TrialFactory(acronym="STEMS-TEST")
    assert first.slug == "stems-test"
    assert second.slug == "stems-test-2"


def test_vocabularies_ship_with_the_exact_slugs():
    assert set(Condition.objects.values_list("slug", flat=True)) >= {
        "ms",
        "rrms",
        "progressive-ms",
        "spms",
        "ppms",
        "als",
    }
    assert Condition.objects.get(slug="spms").parent.slug == "progressive-ms"
    assert CellType.objects.get(slug="msc-ntf").parent.slug == "bm-msc"
    assert CellType.objects.count() == 19  # 14 of migration 0002, 5 of 0011
    from trials.models import Route

    assert Route.objects.count() == 10  # intranodal added by 0011
    # Migration 0011 (issue 9): the slugs and parents of VOCABULARY.md, with descriptions.
    parents = {
        "bm-mnc": None,
        "placental-msc": "msc",
        "glial-progenitors": "nsc",
        "tol-dc": "immune-cells",
        "virus-specific-t": "immune-cells",
    }
    for slug, parent in parents.items():
        term = CellType.objects.get(slug=slug)
        assert (term.parent.slug if term.parent else None) == parent, slug
        assert term.description, slug
    assert Route.objects.get(slug="intranodal").description == "Injected into a lymph node."
