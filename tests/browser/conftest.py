"""Real-browser tests: Playwright driving Debian's Chromium (never a downloaded browser)."""

import os
import shutil

import pytest
from django.core.management import call_command

from tests.helpers import restore_migration_data

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


@pytest.fixture
def demo_site(live_server, transactional_db):
    """The live server with the real demo catalogue."""
    restore_migration_data()
    call_command("load_demo", verbosity=0)  # the whole catalogue: what a visitor sees
    return live_server
