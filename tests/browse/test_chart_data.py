"""The home page's counting rules for charts (trials/chart_data.py, trials/charts.py), issue 9."""

from types import SimpleNamespace

import pytest

from browse.chart_data import (
    NOT_STATED,
    SEVERAL,
    continuous_years,
    start_years_by_family,
)
from browse.charts import fit_label, stacked_bar_chart
from tests.helpers import TrialFactory, add_arm


def test_years_run_without_gaps():
    assert continuous_years({2001: 1, 2004: 2}) == [(2001, 1), (2002, 0), (2003, 0), (2004, 2)]
    assert continuous_years({}) == []


@pytest.mark.parametrize(
    ("label", "shown"),
    [
        ("Bone-marrow mononuclear cells", "Bone-marrow mononuclear…"),
        ("Intracerebroventricular (ICV)", "Intracerebroventricular…"),
        ("Immune cell therapies", "Immune cell therapies"),
    ],
)
def test_long_labels_are_shortened_to_fit_the_drawing(label, shown):
    assert fit_label(label) == shown
    assert len(fit_label(label)) <= 24


def terms():
    t = SimpleNamespace
    return [
        t(pk=1, parent_id=None, name="Mesenchymal stem/stromal cells (MSC)", slug="msc"),
        t(pk=2, parent_id=1, name="Bone-marrow MSC", slug="bm-msc"),
        t(pk=3, parent_id=2, name="MSC-NTF", slug="msc-ntf"),
        t(pk=4, parent_id=None, name="Haematopoietic stem cells (HSCT)", slug="hsc"),
        t(pk=5, parent_id=None, name="Neural stem/precursor cells (NSC/NPC)", slug="nsc"),
    ]


def test_each_trial_counts_once_under_its_family():
    rows = [
        (10, 2010, 3),  # MSC-NTF → MSC family
        (10, 2010, None),  # its placebo arm
        (11, 2010, 4),  # HSCT
        (12, 2012, 2),  # BM-MSC and HSCT arms → several families
        (12, 2012, 4),
        (13, 2012, None),  # no cell type named
    ]
    series, table, slugs = start_years_by_family(rows, terms())
    assert series == [
        "Haematopoietic stem cells (HSCT)",
        "Mesenchymal stem/stromal cells (MSC)",
        SEVERAL,
        NOT_STATED,
    ]
    assert table == [(2010, [1, 1, 0, 0]), (2011, [0, 0, 0, 0]), (2012, [0, 0, 1, 1])]
    assert slugs["Mesenchymal stem/stromal cells (MSC)"] == "msc"


def test_stacked_bars_share_one_scale_and_keep_empty_rows():
    chart = stacked_bar_chart(
        "x", "Trials by start year and cell-type family", "Start year", ["A", "B"],
        [("2010", "/a", [1, 1]), ("2011", "/b", [0, 0]), ("2012", "/c", [4, 0])],
    )  # fmt: skip
    first, empty, widest = chart.bars
    assert [s.value for s in first.segments] == [1, 1]
    assert first.segments[1].x == first.segments[0].x + first.segments[0].width
    assert empty.segments == [] and empty.total == 0
    # 4 trials draw twice as long as 2 (each segment is rounded to whole pixels).
    assert abs(widest.segments[0].width - 2 * sum(s.width for s in first.segments)) <= 2
    assert [s.total for s in chart.series] == [5, 1] and chart.total == 6
    assert "2010: 2 (A 1, B 1)" in chart.description


@pytest.mark.django_db
def test_home_page_draws_the_stacked_chart_with_its_table(client):
    trial = TrialFactory(title="Synthetic 2011 trial", start_date="2011-05-01")
    add_arm(trial, cell_type="msc-ntf")
    other = TrialFactory(title="Synthetic 2013 trial", start_date="2013-01-01")
    add_arm(other, cell_type="hsc")
    response = client.get("/")
    (chart,) = response.context["stacked_charts"]
    assert [bar.label for bar in chart.bars] == ["2011", "2012", "2013"]
    html = response.content.decode()
    assert "Trials by start year and cell-type family" in html
    assert '<th scope="row"><a href="/trials/?start_year_min=2011&amp;start_year_max=2011">' in html
    assert 'class="chart__seg chart__seg--' in html
    assert "style=" not in html  # strict CSP: classes only
    years = {c.slug: c for c in response.context["charts"]}["start-year"]
    assert [(bar.label, bar.value) for bar in years.bars] == [("2011", 1), ("2012", 0), ("2013", 1)]
