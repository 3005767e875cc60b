"""Helpers shared by the test modules: test data built through the services, as production data
is; a trial's history; the admin's change-form data; the ingest fixture files; problem reports;
the browser tests' data restore.

A test module imports from here, never from another test module or a conftest (fixtures live in
conftest.py files, which pytest loads itself).

All titles say "Synthetic test trial": nothing here pretends to be a real study.
"""

import copy
import json
import re
from importlib import import_module
from pathlib import Path

import factory
from django.forms import CheckboxInput, NullBooleanSelect

from trials import history, services
from trials.models import (
    CellProduct,
    CellType,
    Phase,
    Publication,
    RegistryRecord,
    Status,
    Trial,
    Workflow,
)

# --- trials built through the services --------------------------------------------------------


class TrialFactory(factory.Factory):
    class Meta:
        model = Trial

    title = factory.Sequence(lambda n: f"Synthetic test trial {n}")
    workflow = Workflow.PUBLISHED
    phase = Phase.PHASE1
    status = Status.COMPLETED
    conditions = ("ms",)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.trial_create(**kwargs)


def add_arm(trial, *, cell_type="bm-msc", routes=("intrathecal",), **fields):
    return services.intervention_add(
        trial=trial,
        label=fields.pop("label", f"Arm {trial.interventions.count() + 1}"),
        cell_type=cell_type,
        routes=routes,
        **fields,
    )


def full_trial(n: int = 0, **fields) -> Trial:
    """A published trial with every kind of part, to expose N+1 queries."""
    trial = TrialFactory(**fields)
    services.registry_id_add(trial=trial, registry="nct", identifier=f"NCT{90000000 + n:08d}")
    services.registry_id_add(trial=trial, registry="eudract", identifier=f"2020-{n:06d}-11")
    add_arm(trial, cell_type="bm-msc", routes=["intrathecal", "intravenous"], origin="autologous")
    add_arm(trial, cell_type="fetal-nsc", routes=["intracerebroventricular"], label="Cohort B")
    services.outcome_add(trial=trial, measure="Adverse events", time_frame="12 months")
    services.outcome_add(trial=trial, measure="EDSS change", kind="secondary")
    services.site_add(trial=trial, country="IT", city="Milan", name="Synthetic site")
    services.site_add(trial=trial, country="GB", city="Cambridge")
    services.source_add(trial=trial, title="Synthetic source", url="https://example.org/s")
    publication = services.publication_get_or_create(
        title=f"Synthetic publication {n}", doi=f"10.5555/synthetic.{n}", year=2020
    )
    services.publication_link(trial=trial, publication=publication, role="primary_results")
    sponsor = services.organisation_get_or_create(name=f"Synthetic sponsor {n}")
    trial.collaborators.add(services.organisation_get_or_create(name="Synthetic collaborator"))
    services.trial_update(trial=trial, sponsor=sponsor)
    return approved(trial)


def body_of(response) -> bytes:
    """The whole body of a response, streamed (exports) or not."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def count_queries(client, url) -> int:
    """The queries one GET of `url` ran (it must answer 200)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def approved(trial: Trial) -> Trial:
    """A published trial built by editing it after creation awaits review, and the public sees
    its reviewed state (trials/public_state.py): approve its edits, as a reviewer would."""
    trial.refresh_from_db()
    if trial.workflow == Workflow.PUBLISHED and trial.edited_since_review:
        return services.trial_approve_edits(trial=trial, user=None)
    return trial


def approve_all() -> None:
    # Oldest edit first, so that approving keeps the trials' order of last update.
    waiting = Trial.objects.filter(workflow=Workflow.PUBLISHED, edited_since_review=True)
    for trial in waiting.order_by("updated_at", "pk"):
        services.trial_approve_edits(trial=trial, user=None)


# --- the browse catalogue: published trials and unpublished twins ---------------------------

MARKER = "ZZDRAFTMARKERZZ"
# In every published trial's private curator notes: never on a public page, feed or API.
NOTE = "ZZCURATORNOTEZZ"


# Every kind of public URL, for the tests that nothing unpublished reaches the public.
PUBLIC_URLS = [
    "/",
    "/trials/",
    "/trials/?condition=als",
    "/trials/?q=intraspinal",
    "/trials/?country=BG",
    "/trials/export.csv",
    "/trials/export.json",
    f"/trials/export.json?q={MARKER}",
    "/conditions/als/",
    "/cell-types/msc-ntf/",
    "/routes/intraspinal/",
    # Open data (issue 12): the API, the feed, citations, search engines.
    "/api/v1/trials/",
    "/api/v1/trials/?facets=condition,cell_type,route,country&page_size=100",
    f"/api/v1/trials/?q={MARKER}",
    "/api/v1/conditions/",
    "/api/v1/cell-types/",
    "/api/v1/routes/",
    "/api/v1/stats/",
    "/trials/feed/",
    "/trials/feed/?condition=als",
    "/trials/export.ris",
    "/sitemap.xml",
    "/trials/synthetic-browse-trial-c/",
    "/trials/synthetic-browse-trial-c/cite.ris",
    "/trials/synthetic-browse-trial-c/cite.bib",
    # Issue 13: products, evidence across trials and "Could I take part?"
    "/products/synthetic-product-1/",
    "/trials/?product=synthetic-product-1",
    "/trials/?q=synthocel-1",
    "/conditions/als/evidence/",
    "/conditions/als/evidence.csv",
    "/conditions/ms/evidence/?sort=participants",
    "/trials/?arm=msc-ntf:intrathecal&condition=als",
    "/trials/?age=55&months_since_onset=30&alsfrs=40&status=RECRUITING&status=NOT_YET_RECRUITING",
    "/trials/export.json?age=55&product=synthetic-product-1",
]


def browse_catalogue():
    """Published trials spread over conditions, cells, routes, phases, countries, sizes; and
    one unpublished twin of each workflow state carrying MARKER everywhere it can."""
    specs = [
        # title, conditions, cell type, origin, routes, phase, status, country, actual n, follow-up
        (
            "A",
            ["spms"],
            "fetal-nsc",
            "allogeneic",
            ["intracerebroventricular"],
            "PHASE1",
            "COMPLETED",
            "IT",
            15,
            12,
        ),
        (
            "B",
            ["spms", "ppms"],
            "nsc",
            "allogeneic",
            ["intrathecal"],
            "PHASE1",
            "COMPLETED",
            "IT",
            12,
            24,
        ),
        (
            "C",
            ["als"],
            "msc-ntf",
            "autologous",
            ["intrathecal"],
            "PHASE3",
            "COMPLETED",
            "US",
            196,
            6,
        ),
        ("D", ["als"], "uc-msc", "", ["intrathecal"], "", "", "PL", 43, 6),
        (
            "E",
            ["als"],
            "bm-msc",
            "autologous",
            ["intrathecal"],
            "PHASE2",
            "RECRUITING",
            "KR",
            64,
            6,
        ),
        ("F", ["rrms"], "hsc", "autologous", [], "PHASE2", "COMPLETED", "US", 110, 24),
        (
            "G",
            ["ms"],
            "bm-msc",
            "autologous",
            ["intravenous"],
            "PHASE1_PHASE2",
            "COMPLETED",
            "GB",
            144,
            11,
        ),
    ]
    trials = {}
    # A cell product used by a published trial (C) and by every unpublished twin (issue 13).
    product = product_factory(1, cell_type=CellType.objects.get(slug="msc-ntf"))
    for i, (
        title,
        conditions,
        cell,
        origin,
        routes,
        phase,
        status,
        country,
        n,
        months,
    ) in enumerate(specs):
        trial = TrialFactory(
            title=f"Synthetic browse trial {title}",
            conditions=conditions,
            phase=phase,
            status=status,
            actual_enrollment=n,
            follow_up_months=months,
            start_date=f"{2010 + i}-01-01",
            has_results=i % 2 == 0,
            curator_notes=NOTE,
        )
        arm = add_arm(trial, cell_type=cell, routes=routes, origin=origin)
        if title == "C":
            services.intervention_set_product(intervention=arm, product=product)
        services.site_add(trial=trial, country=country)
        services.registry_id_add(trial=trial, registry="nct", identifier=f"NCT0000000{i}")
        trials[title] = trial
    for i, workflow in enumerate((Workflow.DRAFT, Workflow.IN_REVIEW, Workflow.WITHDRAWN)):
        hidden = TrialFactory(
            title=f"{MARKER} {workflow}",
            acronym=MARKER[:10],
            conditions=["als", "spms"],
            phase="PHASE2",
            status="RECRUITING",
            workflow=workflow,
            actual_enrollment=50,
            summary=MARKER,
            curator_notes=MARKER,
        )
        add_arm(
            hidden,
            cell_type="msc-ntf",
            routes=["intrathecal", "intraspinal"],
            origin="autologous",
            label=MARKER,
            product=product,
        )
        # Eligibility that fits anyone: only the workflow keeps it off the public pages.
        services.trial_update(trial=hidden, age_min_months=0, alsfrs_min=0, onset_max_months=999)
        services.site_add(trial=hidden, country="BG")
        services.registry_id_add(trial=hidden, registry="nct", identifier=f"NCT9990000{i}")
    approve_all()
    return {title: approved(trial) for title, trial in trials.items()}


def product_factory(n: int = 0, **fields) -> CellProduct:
    """A synthetic cell product, through the service."""
    values = {
        "name": f"Synthetic product {n}",
        "slug": f"synthetic-product-{n}",
        "aliases": f"SYN-{n}\nsynthocel-{n}",
        "developer": "Synthetic developer",
        "cell_type": CellType.objects.get(slug="bm-msc"),
        "origin": "autologous",
    } | fields
    return services.product_create(product=CellProduct(**values))


# --- a trial's history -----------------------------------------------------------------------


def revisions(trial):
    """(username or None, reason) of each snapshot of the trial, oldest first."""
    return [
        (v.revision.user.username if v.revision.user else None, v.revision.comment)
        for v in history.trial_versions(trial).order_by("revision__date_created", "pk")
    ]


def parts_of(version):
    """What a snapshot holds of the trial's parts (arms, registry ids...), by their names."""
    return {repr_ for repr_, _ in history.snapshot(version).parts.values()}


# --- the admin's trial change form ------------------------------------------------------------

INLINE_PREFIXES = [
    "registry_ids",
    "interventions",
    "outcomes",
    "sites",
    "sources",
    "trialpublication_set",
]


def change_url(trial):
    return f"/admin/trials/trial/{trial.pk}/change/"


def trial_form_data(**overrides):
    data = {
        "title": "Synthetic admin trial",
        "acronym": "ADM",
        "slug": "adm",
        "listing_type": "trial",
        "pay_to_participate": "unknown",
        "conditions": [],
        "phase": "PHASE1",
        "status": "COMPLETED",
        "start_date_precision": "day",
        "primary_completion_date_precision": "day",
        "completion_date_precision": "day",
        "status_checked_precision": "day",
    }
    for prefix in INLINE_PREFIXES:
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    data.update(overrides)
    return data


def with_registry_id(data, registry, identifier):
    return {
        **data,
        "registry_ids-TOTAL_FORMS": "1",
        "registry_ids-0-registry": registry,
        "registry_ids-0-identifier": identifier,
    }


def with_arm(data, **arm):
    fields = {"label": "Arm A", "role": "experimental", "position": "0", **arm}
    return {
        **data,
        "interventions-TOTAL_FORMS": "1",
        **{f"interventions-0-{key}": value for key, value in fields.items()},
    }


def form_data_from(page) -> dict:
    """What a browser would post back from an admin change page, unchanged."""

    def put(form, data):
        for name, field in form.fields.items():
            value = form[name].value()
            key = form.add_prefix(name)
            if isinstance(field.widget, CheckboxInput):
                if value:
                    data[key] = "on"
            elif isinstance(field.widget, NullBooleanSelect):
                data[key] = {True: "true", False: "false"}.get(value, "unknown")
            elif isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            else:
                data[key] = "" if value is None else str(value)

    data: dict = {}
    put(page.context["adminform"].form, data)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        put(formset.management_form, data)
        for form in formset.forms:
            put(form, data)
    return data


# --- ingest fixture files ---------------------------------------------------------------------

FIXTURES = Path(__file__).resolve().parent / "trials" / "ingest" / "fixtures"
# Copies of the workspace's shared samples (fixtures/shared/README.md says where they come from),
# so the tests run from a clean clone and in CI.
SHARED = FIXTURES / "shared"
COMPOSED = FIXTURES / "ctgov"  # composed from reference-trials.md (each file's _comment says so)
NUROWN = COMPOSED / "nurown-phase3-NCT03280056.json"
SAMPLES = SHARED / "data" / "ctgov"  # real registry records (not cell therapy)
RIS = SHARED / "data" / "ris"
SEED_002 = SHARED / "seeds" / "002_0f42ae287d3bce48.txt"


def shared_file(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():  # the copies are in the repository: a missing one is a failure
        raise FileNotFoundError(path)
    return path


def nurown(**changes) -> bytes:
    """The composed NurOwn record, with some registry values changed (a later download)."""
    study = json.loads(NUROWN.read_text())
    study = copy.deepcopy(study)
    for path, value in changes.items():
        node = study["protocolSection"]
        *parents, leaf = path.split(".")
        for step in parents:
            node = node[step]
        node[leaf] = value
    return json.dumps(study).encode()


def catalogue_counts():
    """(trials, registry records, publications, history revisions): what an import may write."""
    from reversion.models import Revision

    return (
        Trial.objects.count(),
        RegistryRecord.objects.count(),
        Publication.objects.count(),
        Revision.objects.count(),
    )


# --- problem reports ----------------------------------------------------------------------------

REPORT_MESSAGE = "The actual enrollment is 15, not 24: see the 2023 paper."
NASTY = '<script>alert("x")</script> & <b>bold</b>'


def report_on(trial, message=REPORT_MESSAGE, contact=""):
    return services.problem_report_create(trial=trial, message=message, contact=contact)


# --- live-server (browser) tests --------------------------------------------------------------


def tab_to(page, selector: str, limit: int = 80):
    """Press Tab until the element matching `selector` has focus (keyboard only)."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement?.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"could not reach {selector} with the Tab key")


def restore_migration_data():
    """Live-server tests run in transactional mode, and Django empties every table after each
    of them, data migrations' rows included. Put the vocabularies and role groups back (the
    migrations' own functions are idempotent)."""
    from django.apps import apps
    from django.contrib.auth.models import Group, Permission

    from accounts.roles import sync_role_groups
    from trials.models import Condition, SavedSearch

    if not Condition.objects.exists():
        import_module("trials.migrations.0002_vocabularies").load(apps, None)
        import_module("trials.migrations.0011_more_vocabularies").load(apps, None)
        sync_role_groups(Group, Permission)  # flush re-creates permissions, not groups
    if not SavedSearch.objects.exists():
        import_module("trials.migrations.0017_default_saved_searches").add_defaults(apps, None)


# Runs before any page script (Playwright injects it outside the page's CSP) and records
# every violation the browser reports to the page.
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


class Watch:
    """CSP violations (events and console messages) and script errors, page after page."""

    def __init__(self, page):
        self.page = page
        self.console: list[str] = []
        self.errors: list[str] = []
        page.add_init_script(LISTEN)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _console(self, message):
        if re.search(r"Content Security Policy|Refused to", message.text):
            self.console.append(message.text)

    def goto(self, url):
        response = self.page.goto(url)
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], url
        return response

    def assert_clean(self, where):
        violations = self.page.evaluate("window.__violations")
        assert violations == [], (where, violations)
        assert self.console == [], (where, self.console)
        assert self.errors == [], (where, self.errors)


# --- a local fake of the registry APIs (no test reaches the internet) ------------------------


# In a FakeApi route, this answer hands the request to the `app` behind it (a SyntheticRegistry).
PASS = "pass to the app"


class FakeApi:
    """A local fake of the registry APIs, on a thread. `routes` ({path: [answers]}) script
    answers: each is (status, headers, body), or PASS to let `app` answer, and is used once,
    the last one for ever after. Paths without a script go to `app` (or answer 404). `seen`
    lists every request as (path, query string, User-Agent)."""

    def __init__(self, routes=None, *, app=None):
        from trials.ingest.synthetic import LocalServer

        self.routes = {path: list(answers) for path, answers in (routes or {}).items()}
        self.app = app
        self.seen = []
        self.server = LocalServer(self._app)
        self.url = self.server.url

    def _app(self, environ, start_response):
        path = environ["PATH_INFO"]
        self.seen.append((path, environ.get("QUERY_STRING", ""), environ.get("HTTP_USER_AGENT")))
        answers = self.routes.get(path)
        answer = (answers.pop(0) if len(answers) > 1 else answers[0]) if answers else PASS
        if answer == PASS:
            if self.app is not None:
                return self.app(environ, start_response)
            answer = (404, {}, b'{"message": "not found"}')
        status, headers, body = answer
        if isinstance(body, dict | list):
            body = json.dumps(body).encode()
        reason = {200: "OK", 404: "Not Found", 429: "Too Many Requests"}.get(status, "Error")
        start_response(
            f"{status} {reason}",
            [("Content-Type", "application/json"), *[(k, v) for k, v in headers.items()]],
        )
        return [body]

    def close(self):
        self.server.close()
