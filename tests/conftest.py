import os

import pytest

# Playwright's sync API runs an event loop in the test thread; pytest-django's live_server and
# ORM calls from such tests are safe here (one thread per test).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session", autouse=True)
def _plain_http():
    """Tests speak plain http to the test client and the live server; the production default
    (redirect to https) is tested on its own in tests/test_security.py. Session-wide, because
    SecurityMiddleware reads the setting once, when the live server starts."""
    from django.test import override_settings

    with override_settings(SECURE_SSL_REDIRECT=False):
        yield


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # No API throttling, so ordinary tests never meet a 429 (and query counts are the view's
    # own); tests/browse/test_api.py turns it on to prove the 429.
    settings.API_RATE_LIMIT = None
    # Production uses WhiteNoise's manifest storage, which needs `collectstatic` first; tests
    # render templates without it (a separate test checks collectstatic works).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def _staff(django_user_model, username, group_name=None, **extra):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(
        username=username, password="pw-for-tests", is_staff=True, **extra
    )
    if group_name:
        user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def curator(django_user_model):
    from accounts.roles import CURATORS

    return _staff(django_user_model, "cora-curator", CURATORS)


@pytest.fixture
def reviewer(django_user_model):
    from accounts.roles import REVIEWERS

    return _staff(django_user_model, "rex-reviewer", REVIEWERS)


@pytest.fixture
def superuser(django_user_model):
    return _staff(django_user_model, "sue-super", is_superuser=True)


@pytest.fixture
def curator_client(client, curator):
    client.force_login(curator)
    return client


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


@pytest.fixture
def superuser_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def no_shouting_rule():
    """A rule added to services.TRIAL_RULES for one test, as a developer would add one."""
    from django.core.exceptions import ValidationError

    from trials import services

    def no_shouting(trial):
        if trial.title.isupper():
            raise ValidationError({"title": "Write the title in sentence case."})

    services.TRIAL_RULES.append(no_shouting)
    yield no_shouting
    services.TRIAL_RULES.remove(no_shouting)


@pytest.fixture(scope="module")
def _whole_catalogue_module(django_db_setup, django_db_blocker):
    """The whole demo catalogue (about 85 records, ~15 s to load), loaded once per test module
    inside a transaction that is rolled back when the module ends. Each test still runs in its
    own savepoint (pytest-django's `db`), so what a test writes is undone after it."""
    from django.core.management import call_command
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("load_demo", verbosity=0)
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def whole_catalogue(_whole_catalogue_module, db):
    """Use in tests that need every demo record (tests/trials/test_demo.py, test_reference.py)."""
