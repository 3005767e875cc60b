"""Site hardening: security headers on every kind of response, the deploy checklist, error
pages that leak nothing, cookies, and HTTPS in production."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.template import loader
from django.test import Client
from django.views.defaults import server_error

from tests.helpers import TrialFactory
from tests.urls_boom import SECRET_LOOKING_ERROR

ROOT = Path(__file__).resolve().parent.parent

EXPECTED_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_security_headers(response):
    assert csp_directives(response["Content-Security-Policy"]) == EXPECTED_CSP
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.fixture
def published():
    return TrialFactory(slug="headers-trial")


PUBLIC_PAGES = [
    "/",
    "/trials/",
    "/trials/headers-trial/",
    "/conditions/ms/",
    "/routes/intravenous/",
]
ADMIN_PAGES = [
    "/admin/",
    "/admin/trials/trial/",
    "/admin/trials/trial/add/",
    "/admin/password_change/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_public_pages_send_the_security_headers(client, published, url):
    response = client.get(url)
    assert response.status_code == 200
    assert_security_headers(response)


@pytest.mark.django_db
def test_exports_and_form_answers_send_them_too(client, published):
    assert_security_headers(client.get("/trials/export.csv"))
    assert_security_headers(client.post("/trials/headers-trial/report/", {"message": ""}))


@pytest.mark.django_db
@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_admin_pages_send_the_security_headers(superuser_client, url):
    response = superuser_client.get(url)
    assert response.status_code == 200
    assert_security_headers(response)


@pytest.mark.django_db
def test_the_admin_login_page_sends_them(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert_security_headers(response)


@pytest.mark.django_db
def test_hsts_on_secure_requests_only(client, settings):
    assert settings.SECURE_HSTS_SECONDS == 31536000  # the production default (DEBUG off)
    response = client.get("/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    admin = client.get("/admin/login/", secure=True)
    assert admin["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    # Browsers ignore HSTS over http, and Django does not send it there.
    assert "Strict-Transport-Security" not in client.get("/")


@pytest.mark.django_db
def test_http_is_redirected_to_https_unless_the_proxy_says_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True  # the production default; tests/conftest turns it off
    response = client.get("/trials/?phase=PHASE1")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/trials/?phase=PHASE1"
    assert client.get("/trials/", HTTP_X_FORWARDED_PROTO="https").status_code == 200


# Error pages (DEBUG is off in tests, as in production).


@pytest.mark.django_db
def test_404_is_ours_leaks_nothing_and_has_the_headers(client):
    response = client.get("/no-such-page/?q=<script>")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html and "Browse all trials" in html
    for leak in ("Traceback", "URLconf", "urlpatterns", "config.urls", "DEBUG", "<script>"):
        assert leak not in html
    assert_security_headers(response)


@pytest.mark.django_db
@pytest.mark.urls("tests.urls_boom")
def test_500_is_ours_leaks_nothing_and_has_the_headers():
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html
    for leak in ("Traceback", "RuntimeError", "SELECT", "SECRET_KEY", "DATABASES", "/work/"):
        assert leak not in html
    assert SECRET_LOOKING_ERROR not in html
    assert_security_headers(response)


def test_500_renders_without_a_request_context_or_the_database(rf):
    # No django_db mark: any query here would fail the test. A 500 may come from a dead
    # database, so its page must not need one, nor a request context.
    assert "Something went wrong" in loader.get_template("500.html").render()
    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert b"Something went wrong" in response.content


# Cookies: secure and out of JavaScript's reach in production (DEBUG off, as in tests).


@pytest.mark.django_db
def test_the_csrf_cookie_of_the_report_form_is_secure_httponly_and_lax(client, published):
    cookie = client.get("/trials/headers-trial/").cookies["csrftoken"]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


@pytest.mark.django_db
def test_the_staff_session_cookie_is_secure_httponly_and_lax(client, django_user_model):
    django_user_model.objects.create_user("sam", password="a-long-test-password", is_staff=True)
    response = client.post("/admin/login/", {"username": "sam", "password": "a-long-test-password"})
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


# Production settings, read in a fresh process from a clean environment.


def production_env(**extra) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return {
        **clean,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "tracker.example.org",
        "DATABASE_URL": "sqlite:///:memory:",
        **extra,
    }


def check_deploy(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_check_deploy_reports_nothing_with_production_settings():
    result = check_deploy(production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_check_deploy_does_catch_an_unsafe_setting():
    # The same check fails when a protection is turned off, so the test above means something.
    result = check_deploy(production_env(DJANGO_SECURE_COOKIES="0"))
    assert result.returncode != 0
    assert "security.W012" in result.stderr  # SESSION_COOKIE_SECURE


def read_settings(env: dict, *names: str) -> list[str]:
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings');"
        " django.setup(); from django.conf import settings;"
        f" print(*[repr(getattr(settings, n)) for n in {names!r}], sep='|')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().split("|")


HTTPS_SETTINGS = ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE")


def test_production_defaults_to_https_everywhere():
    assert read_settings(production_env(), *HTTPS_SETTINGS) == ["True", "31536000", "True"]


def test_https_settings_follow_the_environment():
    env = production_env(DJANGO_SECURE_SSL_REDIRECT="0", DJANGO_SECURE_HSTS_SECONDS="300")
    assert read_settings(env, *HTTPS_SETTINGS) == ["False", "300", "True"]
    debug = production_env(DJANGO_DEBUG="1")
    assert read_settings(debug, *HTTPS_SETTINGS) == ["False", "0", "False"]
