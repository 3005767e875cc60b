"""Run the load test end to end against PostgreSQL: `make loadtest` runs this.

1. Prepare the database in DATABASE_URL (PostgreSQL only): migrate, seed `--trials` SYNTHETIC
   trials with `seed_synthetic` unless exactly that many are there, delete the trials a previous
   run imported, ANALYZE, and collect the static files (production's manifest storage).
2. Write `--studies` SYNTHETIC ClinicalTrials.gov study files (loadtest/studies.py).
3. Start gunicorn (`--workers`, sync, on 127.0.0.1:`--port`) with production settings, except
   plain http (no https redirect, no secure-only cookies): nothing here terminates TLS.
4. Start `manage.py import_ctgov` on the study files, and at once locust, headless:
   `--users` users (spawned 10 a second) for `--run-time`.
5. Print requests/s, p50, p95, errors per kind of request and in all, and how long the import
   took. locust's CSV files go to loadtest/results/ (not committed).

    DATABASE_URL=postgres://tracker:tracker@127.0.0.1:5432/tracker_load python loadtest/run.py

Exits 1 when a request failed or the import did not complete.
"""

import argparse
import csv
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "loadtest" / "results"
BIN = Path(sys.executable).parent


def server_env() -> dict[str, str]:
    """Production settings over plain http on loopback (see docs/operations.md)."""
    env = dict(os.environ)
    env.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
        CONN_MAX_AGE=env.get("CONN_MAX_AGE") or "60",
    )
    return env


def manage(*args: str, env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, **kwargs)


# Deletes what an earlier run imported (NCT99… records: loadtest/studies.py), so every run
# imports the same studies as new drafts; then counts the seeded trials.
PREPARE = """
from trials import services
from trials.models import Trial
imported = Trial.objects.filter(registry_records__identifier__startswith="NCT99")
print(f"Deleted {services.trials_delete(queryset=imported)} trial(s) of an earlier load test.")
services.refresh_planner_statistics()
print(Trial.objects.filter(slug__startswith="synthetic-").count())
"""


def static_files_stale() -> bool:
    """collectstatic (the manifest storage compresses every file) takes over a minute here:
    run it only when the manifest is missing or older than a static file or the dependencies."""
    manifest = ROOT / "staticfiles" / "staticfiles.json"
    if not manifest.exists():
        return True
    sources = [ROOT / "pyproject.toml", *(ROOT / "static").rglob("*")]
    return max(path.stat().st_mtime for path in sources) > manifest.stat().st_mtime


def prepare(args, env) -> None:
    manage("migrate", "--noinput", "-v", "0", env=env, check=True)
    counted = manage(
        "shell", "-v", "0", "-c", PREPARE, env=env, check=True, capture_output=True, text=True
    )
    print(counted.stdout.splitlines()[-2])
    if int(counted.stdout.split()[-1]) != args.trials:
        print(f"Seeding {args.trials} synthetic trials (about 35 s for 10,000)…")
        manage("seed_synthetic", "--clear", "--trials", str(args.trials), env=env, check=True)
    if static_files_stale():
        print("Collecting static files (about a minute)…")
        manage("collectstatic", "--noinput", "-v", "0", env=env, check=True)


def wait_until_up(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.3)


def warm_up(base: str) -> None:
    """A few requests per worker, so the measured run does not pay the first-request costs
    (imports, loading the browse index)."""
    for _ in range(6):
        for path in ("/trials/", "/trials/?condition=ms", "/api/v1/trials/?facets=condition"):
            with urllib.request.urlopen(base + path, timeout=60) as response:
                response.read()


def summary(prefix: Path) -> list[dict[str, str]]:
    with open(f"{prefix}_stats.csv", newline="") as rows:
        return list(csv.DictReader(rows))


def print_summary(rows: list[dict[str, str]]) -> dict[str, str]:
    header = f"{'request':28} {'count':>6} {'errors':>6} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7}"
    print(header)
    print("-" * len(header))
    total = {}
    for row in rows:
        print(
            f"{row['Name'] or row['Type']:28} {row['Request Count']:>6} {row['Failure Count']:>6} "
            f"{float(row['Requests/s']):7.1f} {row['50%']:>7} {row['95%']:>7}"
        )
        if row["Name"] == "Aggregated":
            total = row
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description="Load test against gunicorn and PostgreSQL.")
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--studies", type=int, default=500)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--run-time", default="60s")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8021)
    parser.add_argument("--no-import", action="store_true", help="browse only, no import")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        print("Set DATABASE_URL to a PostgreSQL database (its trials are replaced).")
        return 2

    env = server_env()
    prepare(args, env)
    studies = Path(tempfile.mkdtemp(prefix="loadtest-studies-"))
    subprocess.run(
        [sys.executable, "loadtest/studies.py", str(studies), "--count", str(args.studies)],
        cwd=ROOT,
        check=True,
    )
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    prefix = RESULTS / f"run-{stamp}"
    base = f"http://127.0.0.1:{args.port}"
    gunicorn = subprocess.Popen(
        [
            BIN / "gunicorn",
            "config.wsgi:application",
            *("--bind", f"127.0.0.1:{args.port}", "--workers", str(args.workers)),
            *("--error-logfile", f"{prefix}-gunicorn.log"),
        ],
        cwd=ROOT,
        env=env,
    )
    importer = None
    try:
        wait_until_up(base + "/robots.txt")
        warm_up(base)
        load_before = os.getloadavg()[0]
        began = time.monotonic()
        if not args.no_import:
            with open(f"{prefix}-import.log", "w") as log:
                importer = subprocess.Popen(
                    [sys.executable, "manage.py", "import_ctgov", str(studies)],
                    cwd=ROOT,
                    env={**env, "PYTHONUNBUFFERED": "1"},  # its log counts progress
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
        locust = subprocess.run(
            [
                BIN / "locust",
                *("-f", "loadtest/locustfile.py", "--headless", "--only-summary"),
                *("-u", str(args.users), "-r", "10", "-t", args.run_time, "--host", base),
                *("--csv", str(prefix), "--loglevel", "WARNING"),
            ],
            cwd=ROOT,
        )
        load_seconds = time.monotonic() - began
        load_after = os.getloadavg()[0]
        import_status, import_seconds, during = None, None, 0
        if importer is not None:
            during = Path(f"{prefix}-import.log").read_text().count(": created")
            import_status = importer.wait()
            import_seconds = time.monotonic() - began
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)
        if importer is not None and importer.poll() is None:
            importer.terminate()
        shutil.rmtree(studies, ignore_errors=True)

    print(f"\n{args.users} users, {args.run_time}, gunicorn {args.workers} workers, {base}")
    print(
        f"{os.cpu_count()} CPUs; load average {load_before:.1f} before the run, "
        f"{load_after:.1f} at its end (other work on the machine counts too)"
    )
    total = print_summary(summary(prefix))
    if importer is not None:
        created = Path(f"{prefix}-import.log").read_text().count(": created")
        print(
            f"Import beside it: {during} studies created while the load ran "
            f"({load_seconds:.0f} s); all {created} of {args.studies} after "
            f"{import_seconds:.0f} s (exit {import_status})."
        )
    print(f"CSV files: {prefix}_*.csv")
    failed = int(total.get("Failure Count") or 0) or locust.returncode not in (0, 1)
    return 1 if failed or (importer is not None and import_status != 0) else 0


if __name__ == "__main__":
    sys.exit(main())
