"""Settings for the Cell Therapy Trial Tracker.

One module that reads the environment. Local defaults are safe for a first run (SQLite, and
DEBUG only when DJANGO_DEBUG=1); production fails loudly when a required value is missing.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            'DJANGO_SECRET_KEY is not set. Set it (e.g. `python -c "import secrets; '
            'print(secrets.token_urlsafe(50))"`), or set DJANGO_DEBUG=1 for local development.'
        )
    # Only ever used with DEBUG on, on a developer's machine.
    SECRET_KEY = "django-insecure-local-development-only"
# example.env ships placeholders; a deploy that copied it without editing must not start with a
# key anyone can read on GitHub (sessions and password-reset tokens are signed with it).
if not DEBUG and SECRET_KEY.startswith("change-me"):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is still the placeholder from example.env. Replace it with a random "
        'value, e.g. `python -c "import secrets; print(secrets.token_urlsafe(50))"`.'
    )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "django_countries",
    "reversion",
    "axes",
    "accounts",
    "trials",
    "browse",
    "curation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outside everything else, so every response gets the policy: pages, static files,
    # the admin, 404 and 500.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before CommonMiddleware, as django-cors-headers asks; it only acts on CORS_URLS_REGEX.
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# SQLite file in the project folder unless DATABASE_URL says otherwise
# (postgres://user:pass@host:5432/name in production and in CI's second pass).
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE") or "60"),
        conn_health_checks=True,
    )
}

AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed files in production; plain storage under DEBUG so a first run
    # needs no collectstatic.
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Staff sign in only through the admin; there is no other login page.
LOGIN_URL = "admin:login"

# Brute-force protection (django-axes). A username is locked for one client address after
# AXES_FAILURE_LIMIT failures in a row, so an attacker elsewhere cannot lock a curator out,
# and never for ever: the lock lifts after the cool-off (or `manage.py axes_reset`). Axes
# checks before the password backend, which is why it needs `request` in authenticate().
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_RESET_ON_SUCCESS = True
# The lock lasts the cool-off from the last failure before it, whatever is tried meanwhile,
# so "try again in 30 minutes" on the lockout page stays true.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout"
# The client address is REMOTE_ADDR only. X-Forwarded-For is set by whoever sends the request,
# so trusting it would let an attacker pick a new address for every guess. Behind a proxy,
# have the proxy (or the WSGI server) set REMOTE_ADDR to the real client.
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)

# HTTPS. Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips it from
# clients' requests), Django knows which requests were secure.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(
    os.environ.get("DJANGO_SECURE_HSTS_SECONDS") or (0 if DEBUG else 31536000)
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Not on the browsers' preload list: that is a commitment for the whole registered domain and
# every subdomain, made by its owner and slow to undo; the header alone protects returning
# visitors. check --deploy's reminder about preloading is therefore silenced.
SECURE_HSTS_PRELOAD = False
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Cookies: only staff sessions, the CSRF token of forms and one-off messages. Secure unless
# DEBUG; never readable from JavaScript (nothing here reads them); not sent on cross-site
# subrequests or posts.
SESSION_COOKIE_SECURE = not DEBUG and env_bool("DJANGO_SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy on every response. Nothing inline: no <script> or style="" in our
# templates, and the Django admin (6.x) needs none either (checked in a real browser by
# tests/browser/test_csp.py, select2 and inline formsets included). data: images cannot run
# code; nothing uses them today, but small inline icons should not need a policy change.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
    # Django's own loggers print through their own handler; don't print each line twice.
    "loggers": {"django": {"level": "INFO", "propagate": False, "handlers": ["console"]}},
}

# The public list's page size; the list view lets `page_size` go up to the maximum.
TRIALS_PAGE_SIZE = 25
TRIALS_MAX_PAGE_SIZE = 100

# Caches. "default" is per process. Rate limits need one count shared by every worker and
# container, so they live in a database table, created by migration trials/0010.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "ratelimit": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "tracker_ratelimit",
        "OPTIONS": {"MAX_ENTRIES": 20000},
    },
}

# Public "report a problem" form: at most this many reports per client address (REMOTE_ADDR;
# see browse/ratelimit.py) in any window of this many seconds.
REPORTS_RATE_LIMIT = 5
REPORTS_RATE_WINDOW = 60 * 60

# The read-only JSON API (/api/v1/, browse/api/). Anonymous, JSON only (no browsable API: its
# pages would need inline script), errors as JSON.
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_CLASSES": ["browse.api.throttling.AddressRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_VERSIONING_CLASS": None,
    "EXCEPTION_HANDLER": "browse.api.errors.handle",
}
# Requests per client address (REMOTE_ADDR; an IPv6 /64 counts as one) to /api/, counted in
# the shared "ratelimit" cache so every worker sees the same count. None turns it off.
API_RATE_LIMIT = "120/minute"

SPECTACULAR_SETTINGS = {
    "TITLE": "Cell Therapy Trial Tracker API",
    "DESCRIPTION": (
        "Read-only, anonymous access to the published catalogue. A trial is the same record "
        'as the JSON export (docs/architecture.md, "Export schema"); list parameters are the '
        "list page's, and a bad value answers 400 with the page's messages."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from our own static files (drf-spectacular-sidecar), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": False,
    "ENUM_NAME_OVERRIDES": {"OriginEnum": "trials.choices.Origin"},
}

# CORS: any origin may GET the API (and only the API: never the admin or the pages).
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_CREDENTIALS = False
CORS_EXPOSE_HEADERS = ["ETag", "Last-Modified", "Retry-After"]
# Registry sync (issue 11): where the APIs are, and how politely we call them. Tests and mirrors
# point the URLs elsewhere; tests also shorten the backoff.
CTGOV_API_URL = os.environ.get("CTGOV_API_URL", "https://clinicaltrials.gov/api/v2").rstrip("/")
PUBMED_EUTILS_URL = os.environ.get(
    "PUBMED_EUTILS_URL", "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
).rstrip("/")
SYNC_RATE_LIMIT = float(os.environ.get("SYNC_RATE_LIMIT") or "3")  # requests a second, at most
SYNC_MAX_RETRIES = 4  # after the first attempt, on connection errors, 429 and 5xx
SYNC_BACKOFF_BASE = 1.0  # seconds; doubled at each retry unless Retry-After says otherwise
SYNC_MAX_RETRY_AFTER = 300  # seconds: a longer Retry-After is a failure, not a wait
SYNC_PAGE_SIZE = 100  # studies a page (the API allows 1000; full studies make big pages)
SYNC_REFRESH_BATCH = 100  # catalogued NCT ids asked for at once (filter.ids)
PUBMED_BATCH = 200  # PMIDs a request (esummary takes a few hundred at once)
SYNC_STALE_AFTER = 3 * 3600  # seconds without a heartbeat before a running sync counts as dead
SYNC_WARN_AFTER_DAYS = 3  # the admin index warns when the last successful sync is older
SYNC_USERNAME = "registry-sync"  # the (inactive) account history names for the sync's changes
SYNC_TIMEOUT_CONNECT = 10.0
SYNC_TIMEOUT_READ = 60.0
SYNC_USER_AGENT = (
    "CellTherapyTrialTracker/0.1 (curated catalogue of cell-therapy trials in MS and ALS)"
)
