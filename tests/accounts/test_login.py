"""Staff sign in through the admin only; guessing passwords gets a username locked for a
while from that address (django-axes); weak passwords are refused."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple-9"
WRONG = "not-the-password"
BAD_LOGIN = "Please enter the correct username and password for a staff account."
PAUSED = "Sign-in paused"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("cora", password=PASSWORD, is_staff=True)


def login(client, username, password, **extra):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "next": "/admin/"},
        **extra,
    )


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail(client, username, times, **extra):
    return [login(client, username, WRONG, **extra) for _ in range(times)]


def all_routes(resolver=None, prefix=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from all_routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.name


def test_the_admin_login_is_the_only_login_page(client):
    login_routes = {
        route for route, name in all_routes() if "login" in route or name in ("login", "logout")
    }
    assert login_routes == {"admin/login/", "admin/logout/"}
    assert settings.LOGIN_URL == "admin:login"
    for url in ("/accounts/login/", "/login/", "/trials/login/"):
        assert client.get(url).status_code == 404, url


def test_five_failures_lock_the_username_from_that_address(client, staff):
    *first_four, fifth = fail(client, "cora", 5)
    for response in first_four:
        assert response.status_code == 200
        assert BAD_LOGIN in response.content.decode()
    assert fifth.status_code == 429
    assert PAUSED in fifth.content.decode()

    # Now even the right password is refused, and nobody is signed in.
    locked = login(client, "cora", PASSWORD)
    assert locked.status_code == 429
    assert PAUSED in locked.content.decode()
    assert not signed_in(client)
    assert client.get("/admin/").status_code == 302  # to the login page


def test_the_lockout_page_says_how_long_and_leaks_nothing(client, staff):
    real = fail(client, "cora", 5)[-1].content.decode()
    made_up = fail(client, "nobody-by-this-name", 5)[-1].content.decode()
    assert real == made_up  # the same page whether or not the username exists
    assert "paused for 30 minutes" in real
    assert "cora" not in real and "nobody-by-this-name" not in real


def test_a_made_up_forwarded_address_does_not_escape_the_lock(client, staff):
    for n in range(5):
        response = login(client, "cora", WRONG, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    assert response.status_code == 429
    assert login(client, "cora", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429


def test_the_lock_is_for_that_username_from_that_address_only(client, staff, django_user_model):
    django_user_model.objects.create_user("rex", password=PASSWORD, is_staff=True)
    fail(client, "cora", 5)
    # An attacker elsewhere cannot lock a curator out: another address signs in.
    assert login(client, "cora", PASSWORD, REMOTE_ADDR="192.0.2.20").status_code == 302
    client.logout()
    # And other staff at the same address are not affected.
    assert login(client, "rex", PASSWORD).status_code == 302


def move_attempts_back(minutes):
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= timedelta(minutes=minutes)
        attempt.save(update_fields=["attempt_time"])


def test_the_lock_lifts_after_the_cool_off(client, staff):
    assert timedelta(minutes=30) == settings.AXES_COOLOFF_TIME
    fail(client, "cora", 5)
    move_attempts_back(29)
    assert login(client, "cora", PASSWORD).status_code == 429  # not yet
    move_attempts_back(2)  # 31 minutes after the failures
    response = login(client, "cora", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert signed_in(client)


def test_a_success_resets_the_count(client, staff):
    fail(client, "cora", 4)
    assert login(client, "cora", PASSWORD).status_code == 302
    client.logout()
    assert all(r.status_code == 200 for r in fail(client, "cora", 4))
    assert fail(client, "cora", 1)[0].status_code == 429


def test_axes_reset_unlocks_at_once(client, staff):
    fail(client, "cora", 5)
    call_command("axes_reset", verbosity=0)
    assert login(client, "cora", PASSWORD).status_code == 302


def test_the_password_is_never_recorded(client, staff):
    fail(client, "cora", 2)
    attempt = AccessAttempt.objects.get()
    assert attempt.username == "cora"
    assert WRONG not in attempt.post_data


def test_superusers_see_the_attempts_in_the_admin(staff, superuser_client):
    guesser = Client()
    fail(guesser, "cora", 5)
    login(guesser, "cora", PASSWORD, REMOTE_ADDR="192.0.2.20")
    attempt, log = AccessAttempt.objects.get(), AccessLog.objects.first()
    for url in (
        "/admin/axes/accessattempt/",
        f"/admin/axes/accessattempt/{attempt.pk}/change/",
        "/admin/axes/accesslog/",
        f"/admin/axes/accesslog/{log.pk}/change/",
    ):
        assert superuser_client.get(url).status_code == 200, url


# Passwords: Django's validators (length, common, numeric, similar to the username).


def add_user(client, username, password):
    return client.post(
        "/admin/accounts/user/add/",
        {
            "username": username,
            "usable_password": "true",
            "password1": password,
            "password2": password,
        },
    )


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Ab3$xyz", "This password is too short. It must contain at least 8 characters."),
        ("password123", "This password is too common."),
        ("73920148613", "This password is entirely numeric."),
        ("newcurator-2", "The password is too similar to the username."),
    ],
)
def test_weak_passwords_are_refused(superuser_client, django_user_model, password, message):
    response = add_user(superuser_client, "newcurator", password)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not django_user_model.objects.filter(username="newcurator").exists()


def test_a_strong_password_is_accepted(superuser_client, django_user_model):
    response = add_user(superuser_client, "newcurator", "plinth-otter-marigold-42")
    assert response.status_code == 302
    assert django_user_model.objects.get(username="newcurator").has_usable_password()
