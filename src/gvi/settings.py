"""One settings module, configured from the environment (12-factor).

GVI_PRODUCTION=true switches on the hardened settings that pass `check --deploy`.
DATABASE_URL chooses the database; without it an embedded SQLite file under GVI_DATA_DIR is used.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent


_TRUE, _FALSE = {"true", "1"}, {"false", "0"}


def env_bool(name: str, default: bool = False) -> bool:
    """A switch from the environment: `true` or `false` (any case; `1`/`0` kept for compatibility).
    Unset or empty gives the default; anything else (`yes`, `on`, a typo) refuses to start, so a
    misspelt switch never silently leaves a hardening off."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} måste vara true eller false, inte {os.environ[name]!r}.")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PRODUCTION = env_bool("GVI_PRODUCTION")
DEMO_MODE = env_bool("GVI_DEMO_MODE") and not PRODUCTION
DEBUG = env_bool("GVI_DEBUG") and not PRODUCTION
DATA_DIR = Path(os.environ.get("GVI_DATA_DIR", Path.cwd() / "var")).resolve()


def _secret_key() -> str:
    key = os.environ.get("GVI_SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise RuntimeError("GVI_SECRET_KEY måste sättas i produktion (GVI_PRODUCTION=true).")
    # Development and demo: a random key kept in the data directory so sessions survive restarts.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("GVI_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("GVI_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "simple_history",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "gvi.partnership",
    "gvi.access",
    "gvi.groups",
    "gvi.incidents",
    "gvi.communication",
    "gvi.support",
    "gvi.sanctions",
    "gvi.evaluation",
    "gvi.operations",
    "gvi.notices",
    "gvi.signin",
    "gvi.dataprotection",
    "gvi.logreview",
]

MIDDLEWARE = [
    "gvi.access.uploads.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "gvi.access.middleware.SwedishFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "gvi.access.middleware.SecondFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "gvi.access.middleware.PermissionsPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "gvi.urls"
WSGI_APPLICATION = "gvi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "gvi.partnership.context_processors.partnership",
            ],
        },
    },
]

# Database: SQLite file by default, PostgreSQL (or any dj-database-url URL) through DATABASE_URL.
DEFAULT_SQLITE = f"sqlite:///{DATA_DIR / 'gvi.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(os.environ.get("DATABASE_URL", DEFAULT_SQLITE), conn_max_age=60)
}
# Every request is one transaction: a read of person data and its access-log row commit together.
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
    if not os.environ.get("DATABASE_URL"):
        DATA_DIR.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "access:login"
LOGIN_REDIRECT_URL = "partnership:home"
LOGOUT_REDIRECT_URL = "access:login"

# Lockout after repeated failures, per username, with a cool-off.
AXES_FAILURE_LIMIT = int(os.environ.get("GVI_LOCKOUT_FAILURES", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("GVI_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username"]
# Lock per account, not per address: partner agencies sit behind shared NAT gateways, and an address-based
# lockout would let one mistyped password lock out a whole police station.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = False  # reset only after the second factor (see access.authentication)
AXES_LOCKOUT_CALLABLE = "gvi.access.authentication.lockout_response"
AXES_VERBOSE = False
# Beside the per-account lock (gvi.access.throttle): failed sign-ins per address within the cool-off
# before that address is refused, and the first step of the per-account progressive delay (doubling).
GVI_ADDRESS_FAILURES = int(os.environ.get("GVI_ADDRESS_FAILURES", "30"))
GVI_LOGIN_DELAY_SECONDS = int(os.environ.get("GVI_LOGIN_DELAY_SECONDS", "2"))
AXES_ENABLE_ADMIN = False  # unlocks are done (and logged) in the product's own administration
# Second-factor secrets are never shown, whatever page might list devices.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# E-mail (account notices, unlock links, notices): see "E-mail notices" below. Messages never name a person.

# Idle session timeout: the cookie's age is renewed on every request.
SESSION_COOKIE_AGE = int(os.environ.get("GVI_IDLE_TIMEOUT_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-free meta tag; kept default-safe
OTP_TOTP_ISSUER = "GVI"
# Second factor: required for everyone except in demo mode.
GVI_REQUIRE_SECOND_FACTOR = not DEMO_MODE

LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Svenska")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("GVI_STATIC_ROOT", DATA_DIR / "static"))
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise serves from finders; keep it quiet
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Security headers and a nonce-based Content-Security-Policy: no inline scripts, nothing external.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Every request body, uploads included, is capped (gvi.access.uploads); the proxy should cap it as well.
GVI_MAX_REQUEST_BYTES = int(os.environ.get("GVI_MAX_REQUEST_MB", "20")) * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "gvi.access.uploads.CappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("GVI_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("GVI_BEHIND_PROXY") else None
    SECURE_HSTS_SECONDS = int(os.environ.get("GVI_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # __Host-: the browser accepts the cookie only over HTTPS, for this host alone, with path /.
    SESSION_COOKIE_NAME = "__Host-gvi_session"
    CSRF_COOKIE_NAME = "__Host-gvi_csrftoken"
    STORAGES["staticfiles"]["BACKEND"] = "whitenoise.storage.CompressedManifestStaticFilesStorage"
    WHITENOISE_USE_FINDERS = False

# The access-log chain's anchor: an append-only file outside the database (gvi.access.anchor).
GVI_AUDIT_ANCHOR_FILE = os.environ.get("GVI_AUDIT_ANCHOR_FILE", str(DATA_DIR / "audit-anchor.jsonl"))

# API keys: every key expires, at the latest this many days after it is issued (gvi.access.services).
GVI_API_TOKEN_MAX_DAYS = int(os.environ.get("GVI_API_TOKEN_MAX_DAYS", "90"))

# Disclosures: the longest a disclosure may last, per legal ground, in days, over the defaults in
# gvi.access.disclosure_rules; e.g. GVI_DISCLOSURE_MAX_DAYS=osl_10_27=30,consent=180
GVI_DISCLOSURE_MAX_DAYS = {
    ground.strip(): int(days)
    for ground, _, days in (
        item.partition("=") for item in env_list("GVI_DISCLOSURE_MAX_DAYS") if "=" in item
    )
}

# Retention: review periods in days (adults and under 18), and the grace before deactivation.
GVI_REVIEW_DAYS_ADULT = int(os.environ.get("GVI_REVIEW_DAYS_ADULT", "365"))
GVI_REVIEW_DAYS_MINOR = int(os.environ.get("GVI_REVIEW_DAYS_MINOR", "180"))
GVI_REVIEW_GRACE_DAYS = int(os.environ.get("GVI_REVIEW_GRACE_DAYS", "30"))  # overdue → deactivated
GVI_PURGE_AFTER_DAYS = int(os.environ.get("GVI_PURGE_AFTER_DAYS", "30"))  # deactivated → purged
# Four eyes: an analyst's proposed person or membership entry not approved within this many calendar days
# (and a rejected one, kept that long with its reason) is purged by the daily retention run.
GVI_PROPOSAL_DAYS = int(os.environ.get("GVI_PROPOSAL_DAYS", "14"))
GVI_PAGE_SIZE = 50
# A proposed sanction episode must be decided within this many hours of the triggering incident.
GVI_SANCTION_DECISION_HOURS = int(os.environ.get("GVI_SANCTION_DECISION_HOURS", "48"))

# Maps are drawn from coordinates without external tiles. A tile server inside the closed network can be
# configured, e.g. GVI_MAP_TILE_URL=https://kartor.example.se/tiles/{z}/{x}/{y}.png
GVI_MAP_TILE_URL = os.environ.get("GVI_MAP_TILE_URL", "")
GVI_MAP_TILE_ATTRIBUTION = os.environ.get("GVI_MAP_TILE_ATTRIBUTION", "")
if GVI_MAP_TILE_URL:
    from urllib.parse import urlsplit

    _tiles = urlsplit(GVI_MAP_TILE_URL)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(f"{_tiles.scheme}://{_tiles.netloc}")

# Background work (gvi.operations): tasks stored in the database, run by `gvi worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
GVI_WORKER_HEARTBEAT_SECONDS = float(os.environ.get("GVI_WORKER_HEARTBEAT_SECONDS", "10"))
GVI_WORKER_STALE_SECONDS = int(os.environ.get("GVI_WORKER_STALE_SECONDS", "60"))  # readiness, recovery
GVI_TASK_MAX_ATTEMPTS = int(os.environ.get("GVI_TASK_MAX_ATTEMPTS", "5"))
GVI_RECOMPUTE_DEBOUNCE_SECONDS = int(os.environ.get("GVI_RECOMPUTE_DEBOUNCE_SECONDS", "30"))

# The web server (`gvi serve`, gunicorn): processes (0: 2 x cores + 1, at most 8) and threads each.
GVI_WEB_WORKERS = int(os.environ.get("GVI_WEB_WORKERS", "0"))
GVI_WEB_THREADS = int(os.environ.get("GVI_WEB_THREADS", "4"))
GVI_WEB_TIMEOUT_SECONDS = int(os.environ.get("GVI_WEB_TIMEOUT_SECONDS", "60"))
GVI_ACCESS_LOG = env_bool("GVI_ACCESS_LOG")
GVI_FORWARDED_ALLOW_IPS = os.environ.get("GVI_FORWARDED_ALLOW_IPS", "127.0.0.1")
GVI_LOG_LEVEL = os.environ.get("GVI_LOG_LEVEL", "WARNING")

# One cache shared by every process and machine: the database by default, Redis with GVI_CACHE_URL
# (e.g. redis://127.0.0.1:6379/0). The table is created by the migrations (gvi.operations).
GVI_CACHE_URL = os.environ.get("GVI_CACHE_URL", "")
CACHE_TABLE = "gvi_cache"
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": GVI_CACHE_URL}
        if GVI_CACHE_URL
        else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": CACHE_TABLE}
    ),
    # The progress of imports run by the worker: never the database, whose import transaction hides
    # it until the end (gvi.operations.imports).
    "progress": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": GVI_CACHE_URL,
            "KEY_PREFIX": "p",
        }
        if GVI_CACHE_URL
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "progress"),
        }
    ),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": GVI_LOG_LEVEL},
    # pysaml2 logs whole SAML messages (with the user's attributes) at DEBUG: never person data in logs.
    "loggers": {"saml2": {"level": "WARNING"}},
}

# E-mail notices (gvi.notices), sent by the worker. SMTP when GVI_EMAIL_HOST is set, otherwise (and always
# in demo mode) the console: the messages are printed by `gvi worker`.
GVI_EMAIL_HOST = os.environ.get("GVI_EMAIL_HOST", "")
if GVI_EMAIL_HOST and not DEMO_MODE:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = GVI_EMAIL_HOST
    EMAIL_PORT = int(os.environ.get("GVI_EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("GVI_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("GVI_EMAIL_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("GVI_EMAIL_STARTTLS", EMAIL_PORT == 587)
    EMAIL_USE_SSL = env_bool("GVI_EMAIL_SSL", EMAIL_PORT == 465)
    EMAIL_TIMEOUT = int(os.environ.get("GVI_EMAIL_TIMEOUT_SECONDS", "20"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("GVI_EMAIL_FROM", "GVI <gvi@localhost>")
# The address links in e-mail and calendars point to (the address users open GVI at).
GVI_BASE_URL = os.environ.get("GVI_BASE_URL", f"http://127.0.0.1:{os.environ.get('PORT', '8000')}")
GVI_NOTICE_MAX_ATTEMPTS = int(os.environ.get("GVI_NOTICE_MAX_ATTEMPTS", "5"))

# Single sign-on through partner organisations' identity providers (gvi.signin.config documents the
# variables: GVI_OIDC_PROVIDERS=key1,key2 and GVI_OIDC_<KEY>_ISSUER, _CLIENT_ID, ... for each; SAML 2.0
# IdPs with GVI_SAML_PROVIDERS and GVI_SAML_<KEY>_METADATA_URL, _ENTITY_ID, ...).
from gvi.signin.config import (  # noqa: E402 (no Django import in it)
    providers_from_environment,
    saml_providers_from_environment,
)

GVI_OIDC_PROVIDERS = providers_from_environment(os.environ)
GVI_SAML_PROVIDERS = saml_providers_from_environment(os.environ)
