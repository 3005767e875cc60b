"""Vocabulary and organisation changes through the services: the trials they touch are
reindexed and get a history entry; a delete that would drop a trial's link is refused."""

import pytest
from django.core.exceptions import ValidationError

from tests.helpers import approved
from trials import history, services
from trials.models import CellType, Condition, FacetValue, Organisation, Route, Trial, Workflow

pytestmark = pytest.mark.django_db


def published(title, conditions, *, sponsor=None, cell_type=None, routes=()):
    trial = services.trial_create(
        title=title, conditions=conditions, sponsor=sponsor, workflow=Workflow.PUBLISHED
    )
    if cell_type or routes:
        services.intervention_add(trial=trial, label="Arm A", cell_type=cell_type, routes=routes)
    return approved(trial)


def facets(trial, facet):
    return set(FacetValue.objects.filter(trial=trial, facet=facet).values_list("value", flat=True))


def latest_reason(trial):
    return history.trial_versions(trial).first().revision.get_comment()


@pytest.fixture
def spms_trial():
    return published("Synthetic SPMS trial", ["spms"])


@pytest.fixture
def als_trial():
    return published("Synthetic ALS trial", ["als"])


def test_renaming_a_condition_reindexes_its_trials_and_records_why(spms_trial, als_trial):
    versions = {t.pk: history.trial_versions(t).count() for t in (spms_trial, als_trial)}
    spms = Condition.objects.get(slug="spms")

    services.term_update(term=spms, name="Secondary progressive multiple sclerosis (SPMS)")

    spms_trial.refresh_from_db()
    assert "Secondary progressive multiple sclerosis (SPMS)" in spms_trial.search_text
    assert history.trial_versions(spms_trial).count() == versions[spms_trial.pk] + 1
    assert "renamed" in latest_reason(spms_trial)
    assert "Secondary progressive MS" in latest_reason(spms_trial)
    # Not an edit of the trial: no new version, so open forms stay valid, and no review.
    assert spms_trial.version == Trial.objects.get(pk=spms_trial.pk).version
    assert not spms_trial.edited_since_review
    # A trial that does not use the term is left alone.
    assert history.trial_versions(als_trial).count() == versions[als_trial.pk]


def test_renaming_a_parent_reaches_the_trials_of_its_children(spms_trial):
    progressive = Condition.objects.get(slug="progressive-ms")
    services.term_update(term=progressive, name="Progressive forms of MS")
    spms_trial.refresh_from_db()
    assert "Progressive forms of MS" in spms_trial.search_text
    assert "Progressive MS" in latest_reason(spms_trial)


def test_a_new_slug_changes_the_facet_value_at_once(spms_trial):
    services.term_update(term=Condition.objects.get(slug="spms"), slug="spms-renamed")
    assert "spms-renamed" in facets(spms_trial, "condition")
    assert "spms" not in facets(spms_trial, "condition")


def test_moving_a_condition_moves_its_trials_in_the_index(spms_trial):
    assert facets(spms_trial, "condition") == {"spms", "progressive-ms", "ms"}
    elsewhere = services.term_create(term=Condition(slug="synthetic-parent", name="Synthetic"))
    services.term_update(term=Condition.objects.get(slug="spms"), parent=elsewhere)
    assert facets(spms_trial, "condition") == {"spms", "synthetic-parent"}
    assert "moved from “Progressive MS” to “Synthetic”" in latest_reason(spms_trial)


def test_a_move_under_its_own_child_is_refused_and_changes_nothing(spms_trial):
    progressive = Condition.objects.get(slug="progressive-ms")
    count = history.trial_versions(spms_trial).count()
    with pytest.raises(ValidationError, match="cannot sit under itself"):
        services.term_update(term=progressive, parent=Condition.objects.get(slug="spms"))
    assert Condition.objects.get(slug="progressive-ms").parent.slug == "ms"
    assert history.trial_versions(spms_trial).count() == count


def test_a_new_description_does_not_touch_the_trials(spms_trial):
    count = history.trial_versions(spms_trial).count()
    services.term_update(term=Condition.objects.get(slug="spms"), description="Plain words.")
    assert Condition.objects.get(slug="spms").description == "Plain words."
    assert history.trial_versions(spms_trial).count() == count


def test_a_rename_to_a_name_in_use_is_refused_and_changes_nothing(spms_trial):
    count = history.trial_versions(spms_trial).count()
    with pytest.raises(ValidationError, match="already exists"):
        services.term_update(term=Condition.objects.get(slug="spms"), name="Primary progressive MS")
    assert Condition.objects.get(slug="spms").name == "Secondary progressive MS"
    assert "Secondary progressive MS" in Trial.objects.get(pk=spms_trial.pk).search_text
    assert history.trial_versions(spms_trial).count() == count


def test_deleting_a_condition_in_use_is_refused_naming_the_trials(spms_trial):
    spms = Condition.objects.get(slug="spms")
    count = history.trial_versions(spms_trial).count()
    with pytest.raises(ValidationError) as refusal:
        services.term_delete(term=spms)
    assert history.trial_versions(spms_trial).count() == count
    assert "Synthetic SPMS trial" in refusal.value.messages[0]
    assert Condition.objects.filter(slug="spms").exists()
    assert list(spms_trial.conditions.values_list("slug", flat=True)) == ["spms"]
    assert facets(spms_trial, "condition") == {"spms", "progressive-ms", "ms"}


def test_deleting_a_condition_with_narrower_terms_is_refused():
    with pytest.raises(ValidationError, match="narrower terms sit under it"):
        services.term_delete(term=Condition.objects.get(slug="progressive-ms"))
    assert Condition.objects.filter(slug="progressive-ms").exists()


def test_an_unused_leaf_condition_can_be_deleted():
    leaf = services.term_create(term=Condition(slug="synthetic-leaf", name="Synthetic leaf"))
    services.term_delete(term=leaf)
    assert not Condition.objects.filter(slug="synthetic-leaf").exists()


def test_cell_types_and_routes_in_use_are_refused_too():
    trial = published("Synthetic MSC trial", ["als"], cell_type="msc", routes=["intrathecal"])
    for term in (CellType.objects.get(slug="msc"), Route.objects.get(slug="intrathecal")):
        with pytest.raises(ValidationError, match="Synthetic MSC trial"):
            services.term_delete(term=term)
    assert facets(trial, "route") == {"intrathecal"}


def test_renaming_a_route_reindexes_the_trials_that_use_it():
    trial = published("Synthetic IT trial", ["als"], cell_type="msc", routes=["intrathecal"])
    services.term_update(term=Route.objects.get(slug="intrathecal"), name="Into the spinal fluid")
    trial.refresh_from_db()
    assert "Into the spinal fluid" in trial.search_text


def test_renaming_an_organisation_reindexes_sponsored_and_collaborating_trials():
    sponsor = services.organisation_create(organisation=Organisation(name="Synthetic Sponsor"))
    trial = published("Synthetic sponsored trial", ["als"], sponsor=sponsor)
    partner = published("Synthetic partner trial", ["ms"])
    partner.collaborators.add(sponsor)
    services.trials_reindex(trial_ids=[partner.pk])

    services.organisation_update(organisation=sponsor, name="Renamed Sponsor Foundation")

    for each in (trial, partner):
        each.refresh_from_db()
        assert "Renamed Sponsor Foundation" in each.search_text
        assert "Synthetic Sponsor" not in each.search_text
        assert "renamed" in latest_reason(each)


def test_deleting_an_organisation_in_use_is_refused():
    sponsor = services.organisation_create(organisation=Organisation(name="Synthetic Sponsor"))
    published("Synthetic sponsored trial", ["als"], sponsor=sponsor)
    with pytest.raises(ValidationError, match="Synthetic sponsored trial"):
        services.organisation_delete(organisation=sponsor)
    assert Organisation.objects.filter(name="Synthetic Sponsor").exists()
    unused = services.organisation_create(organisation=Organisation(name="Synthetic Unused"))
    services.organisation_delete(organisation=unused)
    assert not Organisation.objects.filter(name="Synthetic Unused").exists()


def test_a_revert_to_a_version_naming_a_deleted_term_is_refused_not_a_crash(reviewer):
    trial = published("Synthetic revert trial", ["spms"])
    old = history.trial_versions(trial).first().revision_id
    leaf = services.term_create(term=Condition(slug="synthetic-leaf", name="Synthetic leaf"))
    services.trial_replace_parts(trial=trial, conditions=["synthetic-leaf"], reason="leaf")
    middle = history.trial_versions(trial).first().revision_id
    services.trial_replace_parts(trial=trial, conditions=["ppms"], reason="ppms")
    services.term_delete(term=leaf)  # allowed: no trial uses it any more

    with pytest.raises(ValidationError, match="since been deleted"):
        services.trial_revert(trial=trial, revision_id=middle, user=reviewer, reason="undo")
    assert list(trial.conditions.values_list("slug", flat=True)) == ["ppms"]
    # A version whose terms all exist still reverts.
    services.trial_revert(trial=trial, revision_id=old, user=reviewer, reason="undo")
    assert list(trial.conditions.values_list("slug", flat=True)) == ["spms"]


def test_a_rule_added_to_the_services_applies_to_trial_update(no_shouting_rule, spms_trial):
    with pytest.raises(ValidationError, match="sentence case"):
        services.trial_update(trial=spms_trial, title="A SHOUTED TITLE")
    assert Trial.objects.get(pk=spms_trial.pk).title == "Synthetic SPMS trial"
    with pytest.raises(ValidationError, match="sentence case"):
        services.trial_create(title="ANOTHER SHOUTED TITLE", conditions=["als"])
    assert not Trial.objects.filter(title="ANOTHER SHOUTED TITLE").exists()
