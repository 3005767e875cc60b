""" "Could I take part?" (issue 13): `age`, `edss`, `alsfrs`, `months_since_onset` keep a
trial when the answer lies within its stated range (edges included) and keep, marked "not
stated", a trial that states no range; only a stated range that excludes the answer hides."""

import json
from decimal import Decimal

import pytest

from tests.helpers import TrialFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def trials():
    made = {
        "adults": TrialFactory(
            title="Synthetic eligibility adults", age_min_months=18 * 12, age_max_months=65 * 12
        ),
        "young": TrialFactory(title="Synthetic eligibility young", age_max_months=17 * 12 + 6),
        "edss": TrialFactory(
            title="Synthetic eligibility edss", edss_min=Decimal("3.0"), edss_max=Decimal("6.5")
        ),
        "als": TrialFactory(
            title="Synthetic eligibility als",
            conditions=["als"],
            alsfrs_min=30,
            onset_max_months=24,
            fvc_min_percent=60,
        ),
        "silent": TrialFactory(title="Synthetic eligibility silent"),
    }
    return made


def found(client, query) -> set[str]:
    response = client.get(f"/trials/?{query}&page_size=100")
    assert not response.context["problems"], response.context["problems"]
    return {t.title.removeprefix("Synthetic eligibility ") for t in response.context["trials"]}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("age=18", {"adults", "edss", "als", "silent"}),  # the lower edge is in
        ("age=17", {"young", "edss", "als", "silent"}),  # 17 years = 204 months ≤ 210
        ("age=65", {"adults", "edss", "als", "silent"}),  # the upper edge is in
        ("age=66", {"edss", "als", "silent"}),
        ("edss=3", {"adults", "young", "edss", "als", "silent"}),
        ("edss=6.5", {"adults", "young", "edss", "als", "silent"}),
        ("edss=2.5", {"adults", "young", "als", "silent"}),
        ("edss=7.0", {"adults", "young", "als", "silent"}),
        ("alsfrs=30", {"adults", "young", "edss", "als", "silent"}),
        ("alsfrs=29", {"adults", "young", "edss", "silent"}),
        ("months_since_onset=24", {"adults", "young", "edss", "als", "silent"}),
        ("months_since_onset=25", {"adults", "young", "edss", "silent"}),
        ("age=55&months_since_onset=30", {"adults", "edss", "silent"}),
    ],
)
def test_a_trial_matches_when_the_answer_is_within_its_stated_range(
    client, trials, query, expected
):
    assert found(client, query) == expected


def test_a_trial_that_states_no_range_is_shown_marked_not_stated(client, trials):
    response = client.get("/trials/?alsfrs=35&months_since_onset=12")
    html = response.content.decode()
    rows = {t.title: t.eligibility_checks for t in response.context["trials"]}
    assert rows["Synthetic eligibility silent"] == [
        {"label": "ALSFRS-R 35", "stated": ""},
        {"label": "Months since onset 12", "stated": ""},
    ]
    assert rows["Synthetic eligibility als"] == [
        {"label": "ALSFRS-R 35", "stated": "at least 30"},
        {"label": "Months since onset 12", "stated": "up to 24 months"},
    ]
    assert "<strong>not stated</strong> by the trial" in html
    assert "4 trials below do not state a limit" in html


def test_bad_answers_are_named_and_ignored(client, trials):
    response = client.get("/trials/?age=abc&edss=11&alsfrs=49&months_since_onset=-3")
    assert len(response.context["problems"]) == 4
    assert len(response.context["trials"]) == 5
    assert client.get("/trials/export.csv?edss=4.25").status_code == 400


def test_the_panel_presets_recruiting_and_keeps_the_condition(client, trials):
    html = client.get("/trials/?condition=als").content.decode()
    panel = html[html.index('aria-labelledby="take-part-heading"') :]
    panel = panel[: panel.index("</section>")]
    for hidden in (
        'condition" value="als',
        'status" value="RECRUITING',
        'status" value="NOT_YET_RECRUITING',
    ):
        assert f'name="{hidden}"' in panel
    for field in ("age", "edss", "alsfrs", "months_since_onset"):
        assert f'name="{field}"' in panel
    # On the ALS page: the ALS questions only, and the page's own address keeps the condition.
    als = client.get("/conditions/als/").content.decode()
    assert 'name="alsfrs"' in als and 'name="edss"' not in als
    assert 'action="/conditions/als/"' in als


def test_the_trial_page_states_eligibility_in_plain_words(client, trials):
    html = client.get(trials["als"].get_absolute_url()).content.decode()
    assert "ALS function (ALSFRS-R): at least 30 of 48." in html
    assert "First ALS symptoms no more than 24 months before joining." in html
    assert "only the trial team decides who can take part" in html
    silent = client.get(trials["silent"].get_absolute_url()).content.decode()
    assert "Our sources do not state the age or disease limits" in silent
    adults = client.get(trials["adults"].get_absolute_url()).content.decode()
    assert "Age: 18–65 years old." in adults


def test_eligibility_is_part_of_the_public_record(client, trials):
    records = json.loads(b"".join(client.get("/trials/export.json").streaming_content))
    by_title = {r["title"]: r["eligibility"] for r in records}
    assert by_title["Synthetic eligibility edss"]["edss_min"] == "3.0"
    assert by_title["Synthetic eligibility adults"]["age_max_months"] == 780
    assert by_title["Synthetic eligibility silent"] == dict.fromkeys(
        by_title["Synthetic eligibility silent"]
    )
