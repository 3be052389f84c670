"""Settings, all read from the environment (see .env.example).

Without DATABASE_URL the app runs on a SQLite file and without REDIS_URL Celery runs tasks
in-process, so a bare machine can serve the demo; PostgreSQL and Redis are production.
"""

import re
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")


def env_bool(name: str, default: bool) -> bool:
    """A boolean from the environment; a value that is not clearly yes or no stops start-up."""
    raw = env.str(name, default="")
    if raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_positive_int(name: str, default: int) -> int:
    raw = env.str(name, default="")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if value <= 0:
        raise ImproperlyConfigured(f"{name} must be greater than zero, not {raw!r}")
    return value


def env_count(name: str, default: int) -> int:
    """A whole number of zero or more; anything else stops start-up."""
    raw = env.str(name, default="")
    if raw == "":
        return default
    if not re.fullmatch(r"\d+", raw.strip()):
        raise ImproperlyConfigured(f"{name} must be a whole number of zero or more, not {raw!r}")
    return int(raw)


def env_rate(name: str, default: str) -> str:
    """A DRF throttle rate such as "600/minute"; a malformed one stops start-up."""
    value = env.str(name, default=default).strip()
    if not re.fullmatch(r"[1-9]\d*/(s|sec|second|m|min|minute|h|hour|d|day)", value):
        raise ImproperlyConfigured(f"{name} must look like 600/minute, not {value!r}")
    return value


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (set DEBUG=true only for local development)."
        )
    # Only with DEBUG on: without DEBUG a missing key stops start-up above.
    SECRET_KEY = "development-only-key-not-for-production"  # noqa: S105  # nosec B105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_celery_beat",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "core",
    "accounts",
    "contacts",
    "complaints",
    "privacy",
    "retention",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # DPO and administrators: nothing but the enrol/verify pages until the second factor passed.
    "accounts.middleware.RequirePrivilegedOtpMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
    "core.middleware.ControllerScopeMiddleware",
    # Last, so that it sees every failed login the views above let through.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "retta_cs.urls"
WSGI_APPLICATION = "retta_cs.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.navigation",
                "contacts.context_processors.inbox",
                "accounts.context_processors.two_factor",
            ],
        },
    },
]

# Databases: PostgreSQL in production and CI, a SQLite file for the demo on a bare machine.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
IS_POSTGRESQL = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")
if IS_POSTGRESQL and not env.bool("DATABASE_JIT", default=False):
    # Short transactional statements only. PostgreSQL's JIT compiler took about 1.5 s to compile
    # each of the purge's keep-condition statements (their estimated cost counts subplans that
    # never run) to save a few milliseconds of execution (docs/benchmarks.md, Purge).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
# Where "/" takes a user with only this role: a URL name (core reads it without importing the app).
HOME_OF_ROLE = {"agent": "contacts:inbox"}
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Login throttling (django-axes): lock the username from that address after repeated failures.
AXES_FAILURE_LIMIT = env_positive_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_positive_int("AXES_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# The proxies in front of the app (the TLS-terminating proxy: 1) that append the client's address
# to X-Forwarded-For: the client is that many entries from the right, never what the client wrote
# (core.throttling.client_address). 0 when nothing is in front. See gunicorn.conf.py.
PROXY_COUNT = env_count("PROXY_COUNT", 1)
AXES_CLIENT_IP_CALLABLE = "core.throttling.client_address"

# Two-factor login (django-otp TOTP) for the DPO and administrators (accounts/otp.py).
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Retta")
# After n wrong codes in a row the next attempt waits OTP_TOTP_THROTTLE_FACTOR * 2**(n-1) s;
# after OTP_FAILURE_LIMIT wrong codes in a row the session ends (password again).
OTP_TOTP_THROTTLE_FACTOR = env_positive_int("OTP_TOTP_THROTTLE_FACTOR", 1)
OTP_FAILURE_LIMIT = env_positive_int("OTP_FAILURE_LIMIT", 5)
# Authenticator keys and backup codes are never shown in the admin (an administrator resets a
# user's second factor instead: accounts.services.two_factor_reset).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Internationalisation: Finnish first, then Swedish and English.
LANGUAGE_CODE = "fi"
LANGUAGES = [("fi", _("Finnish")), ("sv", _("Swedish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Day before month in every language (Django's English is US-style, its Swedish ISO).
FORMAT_MODULE_PATH = ["retta_cs.formats"]
TIME_ZONE = "Europe/Helsinki"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "/media-not-served/"  # media holds personal data: only views with checks stream it
# Media (raw emails, attachments, recordings, exports): on S3-compatible object storage when
# AWS_STORAGE_BUCKET_NAME is set (MinIO, AWS, …), otherwise files under MEDIA_ROOT. Objects are
# private and only ever handed out through short-lived signed URLs or streamed by a view.
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    # Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment (boto3 reads them).
    _media_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "location": env.str("AWS_LOCATION", default=""),
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": env_positive_int("AWS_QUERYSTRING_EXPIRE", 300),
            "file_overwrite": False,
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="path"),
            "signature_version": "s3v4",
            "object_parameters": {"CacheControl": "private, no-store"},
        },
    }
else:
    _media_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
# The erasure ledger (privacy.erasure_ledger): append-only objects outside the main database, so
# that restoring a database backup cannot roll it back. In the media bucket under its own prefix
# when media is on object storage (or in ERASURE_LEDGER_BUCKET), otherwise files in a directory
# beside media. Backed up on its own and never restored to an older point (docs/operations.md).
ERASURE_LEDGER_BUCKET = env.str("ERASURE_LEDGER_BUCKET", default=AWS_STORAGE_BUCKET_NAME)
ERASURE_LEDGER_ROOT = Path(env.str("ERASURE_LEDGER_ROOT", default=str(MEDIA_ROOT.parent / "erasure-ledger")))
if ERASURE_LEDGER_BUCKET:
    _ledger_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **(_media_storage["OPTIONS"] if AWS_STORAGE_BUCKET_NAME else {"default_acl": "private"}),
            "bucket_name": ERASURE_LEDGER_BUCKET,
            "location": env.str("ERASURE_LEDGER_LOCATION", default="erasure-ledger"),
            "file_overwrite": False,
        },
    }
else:
    _ledger_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(ERASURE_LEDGER_ROOT)},
    }
STORAGES = {
    "default": _media_storage,
    "erasure_ledger": _ledger_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
# Upload limits (core/uploads.py checks each file's size and format). A request body read into
# memory (a raw email posted as message/rfc822) may hold at most DATA_UPLOAD_MAX_MEMORY_SIZE;
# a multipart file above FILE_UPLOAD_MAX_MEMORY_SIZE spills to a temporary file.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_positive_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 30 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env_positive_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 20
INBOUND_EMAIL_MAX_BYTES = env_positive_int("INBOUND_EMAIL_MAX_BYTES", 25 * 1024 * 1024)
RECORDING_MAX_BYTES = env_positive_int("RECORDING_MAX_BYTES", 200 * 1024 * 1024)

# Security: behind a TLS-terminating proxy that sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_positive_int("SESSION_COOKIE_AGE", 8 * 3600)
CSRF_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
# No inline script anywhere: the templates load static files only.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)

# Celery: Redis in production; without REDIS_URL tasks run in-process (the demo).
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
# Task results could carry personal data and outlive an erasure: none are stored.
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_positive_int("CELERY_VISIBILITY_TIMEOUT", 3600),
    # A broker host that drops packets must not hang a request that queues a task.
    "socket_connect_timeout": 5,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Email: SMTP configured by EMAIL_URL in production; the console backend in the demo.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="asiakaspalvelu@retta.fi")
# Replies are sent while their row is locked: a hung SMTP server is a recorded failure, retried.
EMAIL_TIMEOUT = env_positive_int("EMAIL_TIMEOUT", 30)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Replies to customers: sending attempts (exponential backoff) before a reply stays "failed".
REPLY_SEND_MAX_ATTEMPTS = env_positive_int("REPLY_SEND_MAX_ATTEMPTS", 8)
# Attachments of a reply: each file, and all of a reply's files together.
REPLY_ATTACHMENT_MAX_BYTES = env_positive_int("REPLY_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
REPLY_ATTACHMENTS_TOTAL_MAX_BYTES = env_positive_int("REPLY_ATTACHMENTS_TOTAL_MAX_BYTES", 20 * 1024 * 1024)
# IMAP polling of the mailboxes (contacts.imap): network timeout, messages taken per poll.
IMAP_TIMEOUT_SECONDS = env_positive_int("IMAP_TIMEOUT_SECONDS", 60)
IMAP_POLL_MAX_MESSAGES = env_positive_int("IMAP_POLL_MAX_MESSAGES", 200)

# Retention periods in days (DESIGN.md, retention rules); each one is read by the declarations.
RETENTION_CONTACT_DAYS = env_positive_int("RETENTION_CONTACT_DAYS", 180)
RETENTION_FEEDBACK_DAYS = env_positive_int("RETENTION_FEEDBACK_DAYS", 30)
RETENTION_COMPLAINT_DAYS = env_positive_int("RETENTION_COMPLAINT_DAYS", 3 * 365)
RETENTION_PRIVACY_REQUEST_DAYS = env_positive_int("RETENTION_PRIVACY_REQUEST_DAYS", 3 * 365)
RETENTION_AUDIT_EVENT_DAYS = env_positive_int("RETENTION_AUDIT_EVENT_DAYS", 2 * 365)
RETENTION_EXPORT_DAYS = env_positive_int("RETENTION_EXPORT_DAYS", 7)
# How long each backup of the database and the files is kept before it is destroyed: set it to the
# rotation the backups really follow. Stated in the record of processing (art. 30).
BACKUP_RETENTION_DAYS = env_positive_int("BACKUP_RETENTION_DAYS", 30)
# The purge: rows per keyset window (one short transaction each), and the seconds one purge task
# works before handing over to a continuation task (well under the broker's visibility timeout).
RETENTION_PURGE_WINDOW = env_positive_int("RETENTION_PURGE_WINDOW", 4_000)
RETENTION_PURGE_TASK_SECONDS = env_positive_int("RETENTION_PURGE_TASK_SECONDS", 600)
# Files in storage that no row refers to are swept once older than this (a day).
RETENTION_ORPHAN_FILE_HOURS = env_positive_int("RETENTION_ORPHAN_FILE_HOURS", 24)
# Key of the erasure ledger's hashes (privacy.erasure): must survive a restore from backup, so
# that `replay_erasures` recognises the erased subjects' rows. Defaults to SECRET_KEY.
ERASURE_LEDGER_KEY = env.str("ERASURE_LEDGER_KEY", default="")

REST_FRAMEWORK = {
    # Token first, so that a request without credentials gets 401 with WWW-Authenticate. Which
    # requests present a token is decided once, and a session of a DPO or administrator without
    # the second factor is refused here too (accounts.authentication).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TokenAuthentication",
        "accounts.authentication.SessionAuthentication",
    ],
    # Integration tokens reach only views marked inbound (core.roles.IntegrationOnlyInbound).
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "core.roles.IntegrationOnlyInbound",
    ],
    # One JSON parser for every endpoint, with a depth limit (core.parsers).
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONParser",
        "core.parsers.FormParser",
        "core.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["core.filters.FilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.exception_handler.exception_handler",
    # JSON that never fails to encode (core.renderers).
    "DEFAULT_RENDERER_CLASSES": ["core.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    # Anonymous calls are throttled per address (token guessing); a view with
    # `throttle_scope = "inbound"` (core.roles.INBOUND_THROTTLE_SCOPE) per integration account.
    # Counted atomically in the cache (core.throttling), per the address our proxy saw.
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttling.AnonRateThrottle",
        "core.throttling.ScopedRateThrottle",
    ],
    "NUM_PROXIES": PROXY_COUNT,
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_rate("ANON_THROTTLE_RATE", "60/minute"),
        "inbound": env_rate("INBOUND_THROTTLE_RATE", "600/minute"),
    },
    "DATETIME_FORMAT": "iso-8601",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Retta Customer Service API",
    "DESCRIPTION": "Contacts, complaints, privacy requests and retention for Retta Isännöinti Oy and Retta Oy.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The errors each operation may answer with are added to it (core.schema.error_responses).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "core.schema.error_responses"],
    # Several models have a `channel` or a `kind` with different choices: name each set.
    "ENUM_NAME_OVERRIDES": {
        "ContactChannelEnum": "contacts.models.Channel",
        "PrivacyRequestChannelEnum": "privacy.models.RequestChannel",
        "ComplaintKindEnum": "complaints.models.ComplaintKind",
        "ComplaintChannelEnum": "complaints.models.ComplaintChannel",
        "ComplaintEventKindEnum": "complaints.models.ComplaintEventKind",
        "PrivacyRequestKindEnum": "privacy.models.RequestKind",
        "MatchKindEnum": "privacy.models.MatchKind",
        "LetterKindEnum": "privacy.models.LetterKind",
        "IdentifierKindEnum": "privacy.models.IdentifierKind",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
