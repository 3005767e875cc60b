"""Lost updates (issue 11, item 8): a write from a stale copy of a trial must not undo what
another connection committed meanwhile. Proved on PostgreSQL with two real connections (two
threads); SQLite locks the whole database, so there is no concurrent writer to race."""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from tests.helpers import TrialFactory, restore_migration_data
from trials import services
from trials.models import Trial, Workflow

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs two concurrent connections with row locks (PostgreSQL); SQLite "
        "serialises every writer on the whole database",
    ),
]


@pytest.fixture(autouse=True)
def _migration_data():
    # Transactional tests empty every table after them, data migrations' rows included; one
    # that ran earlier on this worker leaves no vocabulary or role groups behind.
    restore_migration_data()


def _in_thread(work, *, hold: threading.Event, ready: threading.Event):
    """Run `work` in its own connection inside a transaction kept open until `hold` is set."""
    errors = []

    def run():
        try:
            with transaction.atomic():
                work()
                ready.set()
                hold.wait(10)
        except BaseException as error:  # reported to the test below
            errors.append(error)
            ready.set()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def _race(first, second_copy, **second_fields):
    """`first` commits while an update from the stale `second_copy` is under way."""
    hold, ready = threading.Event(), threading.Event()
    thread, errors = _in_thread(first, hold=hold, ready=ready)
    ready.wait(10)
    done = []

    def second():
        try:
            services.trial_update(trial=second_copy, reason="stale copy", **second_fields)
        finally:
            done.append(True)
            connections.close_all()

    other = threading.Thread(target=second)
    other.start()
    time.sleep(0.5)  # the stale update reaches the locked row and waits
    hold.set()
    thread.join(10)
    other.join(10)
    assert not errors, errors
    assert done


def test_an_update_from_a_stale_copy_does_not_undo_a_concurrent_withdrawal(reviewer):
    trial = TrialFactory(workflow=Workflow.PUBLISHED, conditions=())  # vocabularies are flushed
    stale = Trial.objects.get(pk=trial.pk)

    _race(
        lambda: services.trial_withdraw(trial=trial, user=reviewer, comment="Withdrawn"),
        stale,
        summary="Edited from a copy read before the withdrawal.",
    )

    trial.refresh_from_db()
    assert trial.workflow == Workflow.WITHDRAWN
    assert trial.summary == "Edited from a copy read before the withdrawal."


def test_an_update_from_a_stale_copy_keeps_a_concurrent_version_checked_edit():
    trial = TrialFactory(workflow=Workflow.DRAFT, conditions=())
    stale = Trial.objects.get(pk=trial.pk)
    mine = Trial.objects.get(pk=trial.pk)

    _race(
        lambda: services.trial_update(
            trial=mine, expected_version=mine.version, summary="The other curator's summary."
        ),
        stale,
        title="Synthetic test trial, retitled",
    )

    trial.refresh_from_db()
    assert trial.summary == "The other curator's summary."
    assert trial.title == "Synthetic test trial, retitled"


def test_of_two_syncs_started_at_the_same_moment_exactly_one_runs():
    """The sync's lock is its running row (a partial unique index): two connections inserting
    at once, one wins and the other is told who holds the lock."""
    from trials.ingest.runs import SyncBusy, run_start

    barrier = threading.Barrier(2)
    outcomes = []

    def start():
        try:
            barrier.wait(5)
            outcomes.append(run_start("ctgov", query="race"))
        except SyncBusy as busy:
            outcomes.append(busy)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    busy = [o for o in outcomes if isinstance(o, SyncBusy)]
    runs = [o for o in outcomes if not isinstance(o, SyncBusy)]
    assert len(busy) == 1 and len(runs) == 1
    assert f"run #{runs[0].pk}" in str(busy[0])
