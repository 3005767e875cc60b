"""Evidence across trials (issue 13) on the real demo catalogue: cell products with their
timeline, and a condition's safety and outcomes by cell type × route. The table's numbers are
recomputed here straight from the ORM (not from the browse index the page reads), and every
number's link must give exactly the trials behind it."""

import csv
import io
from collections import defaultdict
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.helpers import TrialFactory, add_arm, approve_all, product_factory
from trials import services
from trials.models import Condition, EndpointMet, OutcomeKind, Trial

pytestmark = pytest.mark.django_db

NUROWN_IN_START_ORDER = [
    # slug, phase label, registry id. Start dates from the demo records (2011-06-30, 2014-05,
    # 2019-03-13); the reference files give none for phase 3 and phase 2a, which come last.
    ("nurown-phase-1-2-als-hadassah", "Phase 1/2", "NCT01051882"),
    ("nurown-phase-2-als", "Phase 2", "NCT02017912"),
    ("nurown-progressive-ms-phase-2", "Phase 2", "NCT03799718"),
    ("nurown-phase-3-als", "Phase 3", "NCT03280056"),
    ("nurown-phase-2a-als-hadassah", "Phase 2", "NCT01777646"),
]


@pytest.fixture
def demo(whole_catalogue):
    """The whole catalogue, loaded once for this module (tests/conftest.py)."""


def test_nurown_page_lists_its_trials_in_start_order_with_phases(client, demo):
    response = client.get("/products/nurown/")
    assert response.status_code == 200
    trials = response.context["trials"]
    expected = [slug for slug, _phase, _id in NUROWN_IN_START_ORDER]
    assert [t.slug for t in trials] == expected
    starts = [t.start_date for t in trials if t.start_date]
    assert len(starts) == 3 and starts == sorted(starts)
    assert [t.start_date for t in trials[3:]] == [None, None]
    html = response.content.decode()
    table = html[html.index('id="product-trials"') :]
    for slug, phase, registry_id in NUROWN_IN_START_ORDER:
        row = table[table.index(f"/trials/{slug}/") :]
        row = row[: row.index("</tr>")]
        assert f'<td class="phase">{phase}</td>' in row
        assert registry_id in row
    # One timeline bar per trial with a start date, in the same order, and a text alternative;
    # the two without one are named under the chart.
    timeline = response.context["timeline"]
    assert [bar.url for bar in timeline.bars] == [f"/trials/{slug}/" for slug in expected[:3]]
    assert timeline.unplotted == ["NCT03280056", "NCT01777646"]
    assert '<title id="timeline-title">' in html and '<desc id="timeline-desc">' in html
    treated = [t.actual_enrollment for t in trials if t.actual_enrollment is not None]
    assert response.context["treated_total"] == sum(treated)
    assert response.context["treated_reporting"] == len(treated)


@pytest.mark.parametrize(
    ("query", "product"),
    [("MSC-NTF", "nurown"), ("NurOwn", "nurown"), ("Neuronata-R", "lenzumestrocel"),
     ("NSI-566RSC", "nsi-566"), ("KYV-101", "kyv-101")],
)  # fmt: skip
def test_a_product_name_or_alias_finds_every_trial_of_the_product(client, demo, query, product):
    found = {t.slug for t in client.get(f"/trials/?q={query}&page_size=100").context["trials"]}
    expected = set(
        Trial.objects.published()
        .filter(interventions__product__slug=product)
        .values_list("slug", flat=True)
    )
    assert expected and expected <= found


def test_the_korean_phase_2_is_found_by_its_product_alias_alone(client, demo):
    # Its own record never says "Neuronata-R": only the product's alias does.
    korean = Trial.objects.get(slug="bm-msc-als-korea-phase-2")
    assert "neuronata" not in (korean.title + korean.summary).lower()
    found = {t.slug for t in client.get("/trials/?q=Neuronata-R").context["trials"]}
    assert korean.slug in found


def test_product_filter_and_facet(client, demo):
    response = client.get("/trials/?product=nurown&page_size=100")
    assert {t.slug for t in response.context["trials"]} == {
        s for s, _p, _i in NUROWN_IN_START_ORDER
    }
    facet = next(f for f in response.context["facets"] if f.name == "product")
    assert {o.value: o.count for o in facet.options}["nurown"] == 5
    page = client.get("/trials/nurown-phase-3-als/").content.decode()
    assert 'href="/products/nurown/"' in page
    # Browse pages link to products: the cell type's page, and each list row.
    assert 'href="/products/nurown/"' in client.get("/cell-types/msc-ntf/").content.decode()
    assert 'href="/products/kyv-101/"' in client.get("/conditions/ppms/").content.decode()


# --- the evidence table, recomputed from the ORM ---------------------------------------------


def orm_table(slug: str) -> dict[str, dict]:
    """{"cell:route": {number: set of trial slugs}} straight from the models."""
    conditions = Condition.objects.with_descendants([slug])
    trials = (
        Trial.objects.published()
        .filter(conditions__in=conditions)
        .distinct()
        .prefetch_related("interventions__routes", "interventions__cell_type", "outcomes")
    )
    cells: dict[str, set] = defaultdict(set)
    by_slug = {}
    for trial in trials:
        by_slug[trial.slug] = trial
        for arm in trial.interventions.all():
            if arm.cell_type is None:
                continue
            routes = [r.slug for r in arm.routes.all()] or [""]
            for route in routes:
                cells[f"{arm.cell_type.slug}:{route}"].add(trial.slug)

    def verdict(trial):
        met = {
            o.primary_endpoint_met for o in trial.outcomes.all() if o.kind == OutcomeKind.PRIMARY
        }
        return (
            "met"
            if EndpointMet.YES in met
            else "not_met"
            if EndpointMet.NO in met
            else "not_reported"
        )

    table = {}
    for key, slugs in cells.items():
        members = [by_slug[s] for s in slugs]

        def having(field, members=members):
            return {t.slug for t in members if getattr(t, field) is not None}

        table[key] = {
            "trials": set(slugs),
            "participants": having("actual_enrollment"),
            "results": {t.slug for t in members if t.has_results},
            "saes": having("serious_adverse_events"),
            "related_saes": having("treatment_related_saes"),
            "deaths": having("deaths"),
            **{
                v: {t.slug for t in members if verdict(t) == v}
                for v in ("met", "not_met", "not_reported")
            },
            "sums": {
                field: sum(getattr(t, field) or 0 for t in members)
                for field in (
                    "actual_enrollment",
                    "serious_adverse_events",
                    "treatment_related_saes",
                    "deaths",
                )
            },
        }
    return table


SUMMED = {
    "participants": "actual_enrollment",
    "saes": "serious_adverse_events",
    "related_saes": "treatment_related_saes",
    "deaths": "deaths",
}


def listed(client, url) -> set[str]:
    response = client.get(url + "&page_size=100")
    assert not response.context["problems"], url
    assert response.context["paginator"].count <= 100
    return {t.slug for t in response.context["trials"]}


@pytest.mark.parametrize("condition", ["als", "ms"])
def test_evidence_numbers_equal_the_orm_and_each_link_gives_exactly_those_trials(
    client, demo, condition
):
    expected = orm_table(condition)
    response = client.get(f"/conditions/{condition}/evidence/")
    assert response.status_code == 200
    rows = {row.arm: row for row in response.context["rows"]}
    assert set(rows) == set(expected)
    assert len(rows) >= 8  # a real table, not a trivial one
    for arm, row in rows.items():
        want = expected[arm]
        for name, count in row.numbers.items():
            if name in SUMMED:
                assert count.value == want["sums"][SUMMED[name]], (arm, name)
                assert count.reporting == len(want[name]), (arm, name)
                assert listed(client, count.reporting_url) == want[name], (arm, name)
            else:
                assert count.value == len(want[name]), (arm, name)
            query = parse_qs(urlsplit(count.url).query)
            assert query["condition"] == [condition] and query["arm"] == [arm]
            if name not in SUMMED:
                assert listed(client, count.url) == want[name], (arm, name)


def test_evidence_table_sorts_by_links_and_exports_csv(client, demo):
    page = client.get("/conditions/als/evidence/?sort=trials&order=desc")
    counts = [row.numbers["trials"].value for row in page.context["rows"]]
    assert counts == sorted(counts, reverse=True)
    html = page.content.decode()
    assert 'href="?sort=participants&amp;order=desc"' in html
    assert "not a meta-analysis" in html
    response = client.get("/conditions/als/evidence.csv")
    assert response["Content-Type"].startswith("text/csv")
    header, *rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header[:3] == ["cell_type", "route", "trials"]
    assert sum(int(r[2]) for r in rows) == sum(counts)
    assert {r[-1].split("arm=")[1] for r in rows} == {
        row.arm.replace(":", "%3A") for row in page.context["rows"]
    }


def test_evidence_map_has_a_circle_and_a_table_row_per_dated_trial(client, demo):
    context = client.get("/conditions/als/evidence/").context
    chart = context["evidence_map"]
    assert len(chart.dots) == len(context["points"]) > 10
    assert all(p["year"] for p in context["points"]) and all(
        not p["year"] for p in context["undated"]
    )
    assert len(context["points"]) + len(context["undated"]) == context["trial_count"]


def test_a_bad_slug_is_a_404(client, demo):
    assert client.get("/products/nope/").status_code == 404
    assert client.get("/conditions/nope/evidence/").status_code == 404


# --- fixed query counts ------------------------------------------------------------------------


def synthetic(n, product):
    for i in range(n):
        trial = TrialFactory(
            title=f"Synthetic evidence trial {i}",
            conditions=["als"],
            actual_enrollment=10 + i,
            serious_adverse_events=i % 3,
            start_date=f"{2005 + i % 15}-03-01",
            status="RECRUITING",
            age_min_months=18 * 12,
            age_max_months=(50 + i) * 12,
        )
        arm = add_arm(trial, cell_type="msc-ntf", routes=["intrathecal", "intramuscular"])
        services.intervention_set_product(intervention=arm, product=product)
        add_arm(trial, cell_type="uc-msc", routes=["intravenous"], label="Second arm")
        services.outcome_add(trial=trial, measure="ALSFRS-R", primary_endpoint_met="no")
        services.publication_link(
            trial=trial,
            publication=services.publication_get_or_create(title=f"Synthetic paper {i}", year=2020),
            role="primary_results",
        )
    approve_all()


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        # the product, its published trials, and the prefetches of the detail query shape
        # (conditions and their parents, registry ids, collaborators, outcomes, sites,
        # sources, arms, publications)
        ("/products/synthetic-product-7/", 11),
        # condition, 3 vocabularies + products, index rows, trial facts, map rows
        ("/conditions/als/evidence/", 8),
        ("/conditions/als/evidence.csv", 7),  # the same without the map's rows
        # the list with eligibility answers: as the plain list (validators, 3 vocabularies +
        # products, index token, the page's cards in 2) + the "not stated" count = 9; the ids
        # the answers leave were read by the warm-up request (same index token: reused)
        ("/trials/?age=40&months_since_onset=30&condition=als&page_size=100", 9),
    ],
)
def test_new_pages_run_a_fixed_number_of_queries(client, django_assert_num_queries, url, queries):
    product = product_factory(7)
    synthetic(3, product)
    client.get(url)  # loads the in-memory browse index
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
    synthetic(30, product)
    client.get(url)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
