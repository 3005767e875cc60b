"""Every bulk command ends by refreshing the planner's statistics (ANALYZE), so the first page a
user opens after a restore, a reindex, a seed or a multi-file import is planned from the rows
that are there, not from the empty tables of before."""

import pytest
from django.core.management import call_command
from django.db import connection

from tests.helpers import NUROWN
from trials import services
from trials.demo import DEMO_FILE
from trials.models import FacetValue, Trial

pytestmark = pytest.mark.django_db


def last_analysis(table: str):
    """A token that changes each time the table is analysed (None: never, as far as we know)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ANALYZE reports to the shared statistics at once; this backend's cached snapshot
            # of them is dropped first.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = %s", [table]
            )
            row = cursor.fetchone()
            return row[0] if row else None
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'"
        )
        if cursor.fetchone() is None:
            return None
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s", [table])
        row = cursor.fetchone()
        return row[0] if row else None


@pytest.fixture
def analysed():
    """Assert that a command analysed these tables: their analysis changed meanwhile, and (on
    SQLite, where the statistics are readable) they count the rows now there."""
    tables = ("trials_trial", "trials_facetvalue")
    if connection.vendor == "postgresql":  # (SQLite searches without a vector)
        tables += ("trials_searchdocument",)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS sqlite_stat1")
    before = {table: last_analysis(table) for table in tables}

    def check():
        for table in tables:
            empty = table == "trials_facetvalue" and not FacetValue.objects.exists()
            if connection.vendor == "sqlite" and empty:
                continue  # SQLite keeps no statistics for an empty table
            after = last_analysis(table)
            assert after is not None and after != before[table], table
        if connection.vendor == "sqlite":
            assert int(last_analysis("trials_trial").split()[0]) == Trial.objects.count()

    return check


def test_seed_synthetic_ends_with_analyze(analysed):
    call_command("seed_synthetic", "--trials", "30", verbosity=0)
    analysed()


def test_reindex_ends_with_analyze(analysed):
    services.trial_create(title="Synthetic statistics trial", conditions=["als"])
    call_command("reindex_trials", verbosity=0)
    analysed()


def test_a_restore_ends_with_analyze(tmp_path, analysed):
    services.trial_create(title="Synthetic statistics trial", conditions=["als"])
    backup = tmp_path / "backup.jsonl"
    call_command("export_trials", "--output", str(backup), verbosity=0)
    services.trials_delete(queryset=Trial.objects.all())
    call_command("import_trials", str(backup), verbosity=0)
    analysed()


def test_an_import_of_several_files_ends_with_analyze(tmp_path, analysed):
    for name in ("a.json", "b.json"):
        (tmp_path / name).write_bytes(NUROWN.read_bytes())
    call_command("import_ctgov", str(tmp_path), verbosity=0)
    analysed()


def test_load_demo_ends_with_analyze(analysed):
    call_command("load_demo", str(DEMO_FILE), verbosity=0)
    analysed()
