"""`bench_browse` (the benchmark of issue 14) runs end to end on a small catalogue and prints a
figure for every page, the exports, and what a publish costs."""

import io
import re

import pytest
from django.core.management import call_command

from tests.helpers import full_trial

pytestmark = pytest.mark.django_db


def test_bench_browse_prints_every_figure():
    for n in range(3):
        full_trial(n)
    out = io.StringIO()
    call_command("bench_browse", "--repeat", "2", "--warmup", "0", "--publish", stdout=out)
    printed = out.getvalue()
    for label in ("list, no filter", "list, text search", "detail", "API list", "feed"):
        assert re.search(rf"^{re.escape(label)}.*\d+\.\d", printed, re.M), label
    assert re.search(r"export\.csv \(all\).* trials/s", printed)
    assert "One publish costs each web process" in printed
    assert re.search(r"A kept search .* after one publish: \d+\.\d ms", printed)


def test_bench_browse_cold_replays_the_search_query():
    full_trial(1)
    out = io.StringIO()
    call_command(
        "bench_browse",
        "--cold",
        "--repeat",
        "1",
        "--warmup",
        "0",
        "--exports",
        "0",
        "--only",
        "text search",
        stdout=out,
    )
    [line] = [row for row in out.getvalue().splitlines() if row.startswith("list, text search")]
    assert line.split()[6] == "9"  # the page's 8 queries and the search's own
