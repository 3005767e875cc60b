"""The list's filter form is rendered once per index token, vocabulary and parameters, and
reused (browse/fragments.py): never stale, never another request's."""

from unittest import mock

import pytest

from browse import fragments
from tests.helpers import TrialFactory, add_arm, approved
from trials import services
from trials.models import Condition

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    fragments.clear()
    yield
    fragments.clear()


def renders(client, url) -> tuple[int, str]:
    with mock.patch.object(
        fragments, "render_to_string", wraps=fragments.render_to_string
    ) as render:
        html = client.get(url).content.decode()
    return render.call_count, html


def test_the_same_form_is_rendered_once(client):
    approved(add_arm(TrialFactory(conditions=["als"]), cell_type="msc").trial)
    assert renders(client, "/trials/")[0] == 1
    assert renders(client, "/trials/")[0] == 0
    assert renders(client, "/trials/?page=1")[0] == 0  # the page is not part of the form
    count, html = renders(client, "/trials/?condition=als")
    assert count == 1
    assert 'value="als" id="f-condition-als" checked' in html
    assert 'id="f-condition-als" checked' not in renders(client, "/trials/")[1]
    assert renders(client, "/conditions/als/")[0] == 1  # another page: its own form


def test_a_publish_shows_new_counts_at_once(client):
    TrialFactory(conditions=["als"])
    html = renders(client, "/trials/")[1]
    assert 'Amyotrophic lateral sclerosis (ALS) <span class="count">(1<' in html
    TrialFactory(conditions=["als"])
    count, html = renders(client, "/trials/")
    assert count == 1
    assert 'Amyotrophic lateral sclerosis (ALS) <span class="count">(2<' in html


def test_a_new_term_appears_at_once_though_no_trial_uses_it(client):
    TrialFactory(conditions=["als"])
    renders(client, "/trials/")
    services.term_create(term=Condition(name="Synthetic new condition", slug="synthetic-new"))
    count, html = renders(client, "/trials/")
    assert count == 1
    assert "Synthetic new condition" in html
