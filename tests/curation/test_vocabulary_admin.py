"""Vocabulary and organisation pages of the admin write through the services: an edit reindexes
and records history on the trials it touches, and a refused delete says why and deletes
nothing, from the object's page and from the bulk action."""

import pytest

from trials import history, services
from trials.models import Condition, FacetValue, Organisation, Trial, Workflow

pytestmark = pytest.mark.django_db


@pytest.fixture
def spms_trial():
    return services.trial_create(
        title="Synthetic SPMS trial", conditions=["spms"], workflow=Workflow.PUBLISHED
    )


def condition_data(condition, **changes):
    data = {
        "slug": condition.slug,
        "name": condition.name,
        "description": condition.description,
        "parent": condition.parent_id or "",
        "mesh_id": condition.mesh_id,
    }
    return {**data, **changes}


def test_renaming_a_condition_in_the_admin_reindexes_and_records(superuser_client, spms_trial):
    spms = Condition.objects.get(slug="spms")
    before = history.trial_versions(spms_trial).count()
    response = superuser_client.post(
        f"/admin/trials/condition/{spms.pk}/change/",
        condition_data(spms, name="Secondary progressive multiple sclerosis"),
    )
    assert response.status_code == 302
    spms_trial.refresh_from_db()
    assert "Secondary progressive multiple sclerosis" in spms_trial.search_text
    assert history.trial_versions(spms_trial).count() == before + 1


def test_moving_a_condition_in_the_admin_moves_its_trials(superuser_client, spms_trial):
    spms = Condition.objects.get(slug="spms")
    ppms = Condition.objects.get(slug="ppms")
    response = superuser_client.post(
        f"/admin/trials/condition/{spms.pk}/change/", condition_data(spms, parent=ppms.pk)
    )
    assert response.status_code == 302
    assert set(
        FacetValue.objects.filter(trial=spms_trial, facet="condition").values_list(
            "value", flat=True
        )
    ) == {"spms", "ppms", "progressive-ms", "ms"}


def test_the_delete_page_of_a_condition_in_use_explains_and_deletes_nothing(
    superuser_client, spms_trial
):
    spms = Condition.objects.get(slug="spms")
    url = f"/admin/trials/condition/{spms.pk}/delete/"
    for response in (superuser_client.get(url), superuser_client.post(url, {"post": "yes"})):
        assert response.status_code == 302
        assert response["Location"] == f"/admin/trials/condition/{spms.pk}/change/"
    page = superuser_client.get(f"/admin/trials/condition/{spms.pk}/change/")
    assert "Synthetic SPMS trial" in page.content.decode()
    assert "cannot be deleted" in page.content.decode()
    assert Condition.objects.filter(slug="spms").exists()
    assert list(spms_trial.conditions.values_list("slug", flat=True)) == ["spms"]


def test_the_bulk_delete_of_conditions_is_refused_whole(superuser_client, spms_trial):
    unused = services.term_create(term=Condition(slug="synthetic-unused", name="Unused"))
    spms = Condition.objects.get(slug="spms")
    response = superuser_client.post(
        "/admin/trials/condition/",
        {"action": "delete_selected", "_selected_action": [unused.pk, spms.pk], "post": "yes"},
        follow=True,
    )
    assert "Synthetic SPMS trial" in response.content.decode()
    assert Condition.objects.filter(pk__in=[unused.pk, spms.pk]).count() == 2


def test_an_unused_condition_is_deleted_from_the_admin(superuser_client):
    unused = services.term_create(term=Condition(slug="synthetic-unused", name="Unused"))
    response = superuser_client.post(
        f"/admin/trials/condition/{unused.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Condition.objects.filter(pk=unused.pk).exists()


def test_bulk_deleting_organisations_in_use_is_refused_and_search_stays_true(superuser_client):
    # A collaborator: the database would drop the link silently (a sponsor is protected by
    # the database too, and Django's own page refuses that delete).
    partner = services.organisation_create(organisation=Organisation(name="Synthetic Partner"))
    trial = services.trial_create(
        title="Synthetic partnered trial",
        conditions=["als"],
        collaborators=[partner],
        workflow=Workflow.PUBLISHED,
    )
    response = superuser_client.post(
        "/admin/trials/organisation/",
        {"action": "delete_selected", "_selected_action": [partner.pk], "post": "yes"},
        follow=True,
    )
    assert "cannot be deleted" in response.content.decode()
    assert "Synthetic partnered trial" in response.content.decode()
    assert list(Trial.objects.get(pk=trial.pk).collaborators.all()) == [partner]
    assert "Synthetic Partner" in Trial.objects.get(pk=trial.pk).search_text


def test_renaming_an_organisation_in_the_admin_reindexes_its_trials(superuser_client):
    sponsor = services.organisation_create(organisation=Organisation(name="Synthetic Sponsor"))
    trial = services.trial_create(
        title="Synthetic sponsored trial", conditions=["als"], sponsor=sponsor
    )
    response = superuser_client.post(
        f"/admin/trials/organisation/{sponsor.pk}/change/",
        {"name": "Renamed Foundation", "country": "", "website": ""},
    )
    assert response.status_code == 302
    assert "Renamed Foundation" in Trial.objects.get(pk=trial.pk).search_text
