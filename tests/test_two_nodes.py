"""Beyond one machine (issue 14, item 7): two gunicorn instances share one PostgreSQL database,
and a publish made through one node's admin is in the other's lists and counts on its next
request. The steps are `make two-nodes`' own (loadtest/two_nodes.py), here on the test
database. PostgreSQL only: SQLite's test database lives in the test process's memory, where
no server process can open it."""

from urllib.parse import quote

import pytest
from django.conf import global_settings
from django.conf import settings as project_settings
from django.db import connection

from loadtest.two_nodes import (
    CONDITION,
    Node,
    create_draft_and_reviewer,
    demonstrate,
    node_environment,
)
from tests.helpers import TrialFactory, restore_migration_data
from trials.choices import Workflow

pytestmark = [
    pytest.mark.skipif(
        "postgresql" not in project_settings.DATABASES["default"]["ENGINE"],
        reason="two server processes need a database they can both open (PostgreSQL)",
    ),
    pytest.mark.django_db(transaction=True),  # the nodes must see what the test commits
]

COUNTS = [
    "API count (all published)",
    f"API count, condition={CONDITION}",
    f"facet count of {CONDITION}",
    "/api/v1/stats/ trials",
    "list page heading",
]


def database_url() -> str:
    """The URL of the database this test (this xdist worker) runs on."""
    db = connection.settings_dict
    user, password = quote(db["USER"], safe=""), quote(db["PASSWORD"], safe="")
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{user}:{password}@{host}:{port}/{db['NAME']}"


def test_a_publish_through_one_node_is_in_the_others_lists_and_counts_at_once(settings, tmp_path):
    restore_migration_data()
    # The nodes check passwords with production's hashers, not the tests' fast MD5.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    TrialFactory(conditions=(CONDITION,))
    TrialFactory(conditions=("ms",))
    trial, reviewer = create_draft_and_reviewer("a-reviewer-pass-for-tests")
    env = node_environment(database_url(), tmp_path)
    a, b = Node("A", env), Node("B", env)
    try:
        for node in (a, b):
            node.start()
        for node in (a, b):
            node.wait_until_up()
        before, *after, etags = demonstrate(
            a, b, trial, reviewer.username, "a-reviewer-pass-for-tests", report=lambda _: None
        )
    finally:
        for node in (a, b):
            node.stop()

    trial.refresh_from_db()
    assert trial.workflow == Workflow.PUBLISHED
    assert trial.reviewed_by == reviewer  # published by node A's admin, as the reviewer
    assert [before[key] for key in COUNTS] == [2, 1, 1, 2, 1]
    assert before["trial page status"] == 404
    assert not before["trial in the API list"] and not before["trial on the list page"]
    for seen in after:  # four visits to B, each seeing it (B has two worker processes)
        assert [seen[key] for key in COUNTS] == [3, 2, 2, 3, 2]
        assert seen["trial in the API list"] and seen["trial on the list page"]
        assert seen["trial page status"] == 200
        assert seen["list ETag"] != before["list ETag"]
    # A proxy or CDN in front of both nodes: one copy serves both while nothing changes (the
    # ETag does not depend on the node), and the old copy is refused after the publish.
    assert etags == {"A's list ETag sent to B, before": 304, "the old ETag sent to B, after": 200}
