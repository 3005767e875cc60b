"""Two web nodes, one PostgreSQL: a publish made through one is seen by the other at once.

`make two-nodes` (with DATABASE_URL set to PostgreSQL) runs `main()`:

1. creates a SYNTHETIC draft trial and a reviewer account with a random password;
2. starts two gunicorn instances (2 workers each) on two free ports, A and B, sharing the
   database, with production settings over plain http (`node_environment`);
3. reads, from B, the published count in the API, the ALS facet count, the numbers of
   /api/v1/stats/, the list page's "N trials" heading and whether the trial is listed, the
   trial's own page, and the list's ETag;
4. signs in to A's admin as the reviewer and publishes the draft there, over HTTP, as a
   reviewer would;
5. reads the same from B again (four times, so that both of its workers answer), and sends B
   the old ETag, which must now get a full 200 answer instead of 304 Not Modified;
6. removes the trial and the account, and stops both nodes.

Nothing is shared between the nodes but the database: each worker keeps its own copy of the
browse index and notices a change by the index token it reads on every request.
tests/test_two_nodes.py runs the same steps against the test database (PostgreSQL only).
"""

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
CONDITION = "als"  # the facet whose count is watched
LIST = f"/trials/?condition={CONDITION}&sort=updated"
HEADING = re.compile(r'id="results-heading"[^>]*>\s*([\d,]+) trial')
# Production's settings but plain static storage: the manifest storage needs collectstatic
# (a minute here), and static files play no part in what the nodes share.
SETTINGS = '''"""Written by loadtest/two_nodes.py: production settings, plain static storage."""
from config.settings import *  # noqa: F403

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
'''


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def node_environment(database_url: str, directory: Path) -> dict[str, str]:
    """The environment of a node: the shared database, DEBUG off, plain http on loopback."""
    (directory / "two_nodes_settings.py").write_text(SETTINGS)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="two_nodes_settings",
        PYTHONPATH=os.pathsep.join([str(directory), str(ROOT)]),
        DJANGO_SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50),
        DJANGO_DEBUG="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
        CONN_MAX_AGE="60",
    )
    return env


@dataclass
class Node:
    name: str
    env: dict[str, str]
    workers: int = 2
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                GUNICORN,
                "config.wsgi:application",
                *("--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers)),
                *("--log-level", "warning"),
            ],
            cwd=ROOT,
            env=self.env,
        )

    def wait_until_up(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"node {self.name} exited with {self.process.returncode}")
            try:
                if httpx.get(self.url + "/robots.txt", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60)


def observe(node: Node, slug: str, title: str) -> dict:
    """What a visitor of `node` sees of the catalogue, and of the trial `slug`."""
    with node.client() as http:
        api = http.get(f"/api/v1/trials/?facets=condition&condition={CONDITION}&sort=updated")
        api.raise_for_status()
        listed = api.json()
        facet = {o["value"]: o["count"] for o in listed["facets"]["condition"]}[CONDITION]
        everything = http.get("/api/v1/trials/?page_size=1").json()["count"]
        stats = http.get("/api/v1/stats/").json()["trials"]
        page = http.get(LIST)
        page.raise_for_status()
        heading = HEADING.search(page.text)
        detail = http.get(f"/trials/{slug}/")
    return {
        "API count (all published)": everything,
        f"API count, condition={CONDITION}": listed["count"],
        f"facet count of {CONDITION}": facet,
        "/api/v1/stats/ trials": stats,
        "list page heading": int(heading.group(1).replace(",", "")) if heading else None,
        "trial in the API list": any(t["slug"] == slug for t in listed["results"]),
        "trial on the list page": title in page.text,
        "trial page status": detail.status_code,
        "list ETag": page.headers.get("ETag"),
    }


def csrf_token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def publish_through_admin(node: Node, username: str, password: str, trial_pk: int) -> None:
    """Sign in to the node's admin and publish the trial, as a reviewer does in a browser."""
    with node.client() as http:
        form = http.get("/admin/login/?next=/admin/")
        signed_in = http.post(
            "/admin/login/?next=/admin/",
            data={
                "username": username,
                "password": password,
                "next": "/admin/",
                "csrfmiddlewaretoken": csrf_token(form.text),
            },
        )
        if signed_in.status_code != 302:
            raise RuntimeError(f"sign-in to node {node.name} failed ({signed_in.status_code})")
        step = f"/admin/trials/trial/{trial_pk}/workflow/publish/"
        confirm = http.get(step)
        done = http.post(
            step,
            data={
                "comment": "Published through node A",
                "csrfmiddlewaretoken": csrf_token(confirm.text),
            },
        )
        if done.status_code != 302:
            raise RuntimeError(f"publishing through node {node.name} failed ({done.status_code})")


def create_draft_and_reviewer(password: str):
    """A SYNTHETIC draft trial (ALS, so its facet count moves) and a reviewer account."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from accounts.roles import REVIEWERS
    from trials import services

    stamp = time.strftime("%Y%m%d%H%M%S")
    trial = services.trial_create(
        title=f"SYNTHETIC two-node demonstration trial {stamp}", conditions=(CONDITION,)
    )
    user = get_user_model().objects.create_user(
        username=f"two-nodes-{stamp}", password=password, is_staff=True
    )
    user.groups.add(Group.objects.get(name=REVIEWERS))
    return trial, user


def revalidate(node: Node, etag: str) -> int:
    """The status `node` answers a cache that revalidates its copy of the list with `etag`."""
    with node.client() as http:
        return http.get(LIST, headers={"If-None-Match": etag}).status_code


def demonstrate(a: Node, b: Node, trial, username: str, password: str, report=print) -> list:
    """Steps 3 to 5. Returns B's observations (before, then one per request after) and the
    answers to revalidations: B answers 304 to A's ETag while nothing changed (a cache in
    front of both nodes keeps one copy), and 200 to the old ETag after the publish."""
    before = observe(b, trial.slug, trial.title)
    with a.client() as http:
        etag_of_a = http.get(LIST).headers["ETag"]
    etags = {"A's list ETag sent to B, before": revalidate(b, etag_of_a)}
    started = time.monotonic()
    publish_through_admin(a, username, password, trial.pk)
    published = time.monotonic()
    after = [observe(b, trial.slug, trial.title) for _ in range(4)]
    report(f"published through node A's admin in {published - started:.2f} s")
    etags["the old ETag sent to B, after"] = revalidate(b, before["list ETag"])
    return [before, *after, etags]


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        print("Set DATABASE_URL to a PostgreSQL database (migrated; any catalogue in it).")
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connections

    password = secrets.token_urlsafe(16)
    trial, user = create_draft_and_reviewer(password)
    connections.close_all()
    directory = Path(tempfile.mkdtemp(prefix="two-nodes-"))
    env = node_environment(database_url, directory)
    a, b = Node("A", env), Node("B", env)
    try:
        for node in (a, b):
            node.start()
        for node in (a, b):
            node.wait_until_up()
        print(f"node A {a.url}, node B {b.url}: one database, {database_url.rsplit('/', 1)[-1]}")
        before, *after, etags = demonstrate(a, b, trial, user.username, password)
        print(f"\n{'seen from node B':32} {'before':>10} {'after (4 requests)':>30}")
        for key, value in before.items():
            if key != "list ETag":
                print(f"{key:32} {value!s:>10} {', '.join(str(o[key]) for o in after):>30}")
        changed = all(o["list ETag"] != before["list ETag"] for o in after)
        print(f"{'list ETag changed':32} {'':>10} {changed!s:>30}")
        for question, status in etags.items():
            print(f"{question:43} answered {status}")
    finally:
        for node in (a, b):
            node.stop()
        from trials import services
        from trials.models import Trial

        services.trials_delete(queryset=Trial.objects.filter(pk=trial.pk))
        user.delete()
    return 0


if __name__ == "__main__":
    sys.exit(main())
