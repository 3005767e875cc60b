"""Real-browser tests: Playwright driving Debian's Chromium (never a downloaded browser)."""

import os
import shutil
from importlib import import_module

import pytest
from django.core.management import call_command

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def pytest_collection_modifyitems(config, items):
    if shutil.which(CHROMIUM) or os.path.exists(CHROMIUM):
        return
    # CI installs Chromium (.ci/run); on a laptop without it, say so instead of erroring.
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM}"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


def restore_migration_data():
    """Live-server tests run in transactional mode, and Django empties every table after each
    of them, data migrations' rows included. Put the vocabularies and role groups back (the
    migrations' own functions are idempotent)."""
    from django.apps import apps
    from django.contrib.auth.models import Group, Permission

    from accounts.roles import sync_role_groups
    from trials.models import Condition

    if not Condition.objects.exists():
        import_module("trials.migrations.0002_vocabularies").load(apps, None)
        import_module("trials.migrations.0011_more_vocabularies").load(apps, None)
        sync_role_groups(Group, Permission)  # flush re-creates permissions, not groups


@pytest.fixture
def demo_site(live_server, transactional_db):
    """The live server with the real demo catalogue."""
    restore_migration_data()
    call_command("load_demo", verbosity=0)  # the whole catalogue: what a visitor sees
    return live_server
