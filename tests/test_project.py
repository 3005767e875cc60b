"""The project as a whole: migrations complete, settings safe, docker-compose consistent."""

import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_migrations_are_complete():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def run_settings(env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE',"
            " 'config.settings'); django.setup(); from django.conf import settings;"
            " print(settings.DEBUG, settings.DATABASES['default']['ENGINE'])",
        ],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run_settings({"DATABASE_URL": "sqlite:///:memory:"})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_production_refuses_the_placeholder_secret_key_of_example_env():
    placeholder = re.search(
        r"^DJANGO_SECRET_KEY=(.*)$", (ROOT / "example.env").read_text(), re.M
    ).group(1)
    result = run_settings({"DJANGO_SECRET_KEY": placeholder, "DATABASE_URL": "sqlite:///:memory:"})
    assert result.returncode != 0
    assert "placeholder from example.env" in result.stderr


def run_deploy_check(env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**clean, "DATABASE_URL": "sqlite:///:memory:", **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_containers_deploy_check_passes_with_production_settings():
    env = {"DJANGO_SECRET_KEY": "k" + "Zx9_" * 20, "DJANGO_ALLOWED_HOSTS": "tracker.example"}
    result = run_deploy_check(env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_containers_deploy_check_fails_on_a_weak_key():
    env = {"DJANGO_SECRET_KEY": "short", "DJANGO_ALLOWED_HOSTS": "tracker.example"}
    result = run_deploy_check(env)
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_example_env_passes_the_containers_deploy_check_once_its_key_is_replaced():
    values = dict(
        line.split("=", 1)
        for line in (ROOT / "example.env").read_text().splitlines()
        if line and not line.startswith("#")
    )
    env = {k: v for k, v in values.items() if k.startswith("DJANGO_")}
    env["DJANGO_SECRET_KEY"] = "k" + "Zx9_" * 20
    result = run_deploy_check(env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_containers_deploy_check_fails_with_debug_on():
    env = {"DJANGO_SECRET_KEY": "k" + "Zx9_" * 20, "DJANGO_DEBUG": "1"}
    result = run_deploy_check(env)
    assert result.returncode != 0
    assert "security.W018" in result.stdout + result.stderr


def test_debug_has_a_development_key_and_sqlite_by_default():
    env = {"DJANGO_DEBUG": "1"}
    clean = run_settings(env | {"DATABASE_URL": ""})
    assert clean.returncode == 0, clean.stderr
    assert clean.stdout.split() == ["True", "django.db.backends.sqlite3"]


def test_database_url_selects_postgresql():
    result = run_settings(
        {"DJANGO_SECRET_KEY": "x" * 50, "DATABASE_URL": "postgres://u:p@db:5432/tracker"}
    )
    assert result.stdout.split() == ["False", "django.db.backends.postgresql"]


def environment_variables_read_by_settings() -> set[str]:
    source = (ROOT / "config" / "settings.py").read_text()
    names = set(re.findall(r'env_(?:bool|list)\("([A-Z_]+)"', source))
    names |= set(re.findall(r'os\.environ\.get\(\s*"([A-Z_]+)"', source))
    return names


def test_docker_compose_matches_the_settings():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    db, web = compose["services"]["db"], compose["services"]["web"]

    assert db["image"] == "postgres:16"
    volume = db["volumes"][0].split(":")[0]
    assert volume in compose["volumes"], "the database keeps its data in a named volume"

    env = web["environment"]
    read = environment_variables_read_by_settings()
    assert set(env) <= read, f"compose sets variables the app never reads: {set(env) - read}"
    assert {"DATABASE_URL", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "CONN_MAX_AGE"} <= set(env)
    assert env["DJANGO_DEBUG"] == "0"
    url = env["DATABASE_URL"]
    assert url.startswith("postgres://") and "@db:5432/" in url
    assert url.rsplit("/", 1)[1] == db["environment"]["POSTGRES_DB"]
    assert url.split("//")[1].split(":")[0] == db["environment"]["POSTGRES_USER"]

    command = web["command"]
    assert "manage.py migrate" in command
    assert "gunicorn config.wsgi:application" in command
    # gunicorn listens on every interface inside the container, but the host publishes it on
    # loopback only: the app trusts X-Forwarded-Proto, so only the local proxy may reach it.
    assert "0.0.0.0:8000" in command and web["ports"] == ["127.0.0.1:8000:8000"]
    # Deployment checks run, and fail the start, before anything is served.
    assert command.index("check --deploy --fail-level WARNING") < command.index("gunicorn")
    assert web["depends_on"]["db"]["condition"] == "service_healthy"
    assert (ROOT / "config" / "wsgi.py").exists()


def test_the_sync_service_runs_both_commands_against_the_same_database():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    sync, web = compose["services"]["sync"], compose["services"]["web"]
    command = sync["command"]
    assert command.index("manage.py sync_ctgov") < command.index("manage.py sync_pubmed")
    # One run, then the container exits (the host's cron starts it); never at `compose up`.
    assert sync["restart"] == "no" and sync["profiles"] == ["sync"] and "ports" not in sync
    env = sync["environment"]
    assert env["DATABASE_URL"] == web["environment"]["DATABASE_URL"]
    assert set(env) <= environment_variables_read_by_settings()
    assert {"CTGOV_API_URL", "PUBMED_EUTILS_URL"} <= set(env)
    # The command returns the sync's failure to cron, which mails it.
    assert "exit $$status" in command


def test_static_files_collect_with_the_production_storage(tmp_path):
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    from django.test import override_settings

    with override_settings(STATIC_ROOT=tmp_path, STORAGES=storages):
        call_command("collectstatic", "--noinput", verbosity=0)
    assert list(tmp_path.glob("css/site.*.css"))


@pytest.mark.django_db
def test_favicon_ico_points_at_the_svg_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response.url.endswith("favicon.svg")


def test_the_image_copies_every_package_the_project_installs():
    """Each first-party package pyproject.toml installs is copied into the Docker image (a new
    app left out would make the container fail at start, and no other test runs the image)."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {
        name.rstrip("*") for name in project["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    copied = set(re.findall(r"^COPY (\w+) \./\1$", (ROOT / "Dockerfile").read_text(), re.M))
    assert packages <= copied
