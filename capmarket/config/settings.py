"""The one settings module of capmarket, driven by environment variables.

Variables (all optional; the defaults run the embedded system on a SQLite file under ``var/``):

- ``DATABASE_URL``: e.g. ``postgres://user:pass@127.0.0.1:5432/capmarket``; default ``sqlite:///var/capmarket.sqlite3``.
- ``CAPMARKET_SECRET_KEY``: the signing key; unset = a random key made once and kept in ``VAR_DIR/secret_key``
  (mode 0600) — set it explicitly when several machines serve the same site.
- ``CAPMARKET_DEBUG``: ``1`` / ``0`` (default ``0``: Japanese error pages, no URL list, no tracebacks).
- ``CAPMARKET_HTTPS``: ``1`` / ``0`` (default: on unless debug): secure cookies, HSTS, redirect to https. ``0`` only
  for plain HTTP on this machine (``make demo``, the tests). ``CAPMARKET_TRUST_X_FORWARDED_PROTO=1`` when a TLS
  proxy in front sets ``X-Forwarded-Proto``.
- ``CAPMARKET_ALLOWED_HOSTS``: comma-separated host names.
- ``CAPMARKET_VAR_DIR``: where the embedded database, uploaded files and datasets live (default ``var/``).
- ``CAPMARKET_EMAIL_HOST`` / ``CAPMARKET_EMAIL_PORT``: SMTP server for outgoing mail (default: console backend).
- ``CELERY_BROKER_URL``: task queue broker, e.g. ``redis://host:6379/0`` or ``amqp://user:pass@host//``; unset =
  the embedded broker, folders under ``var/queue/`` (kombu's filesystem transport; no server). Either way a worker
  runs the jobs: ``capmarket worker``.
- ``CAPMARKET_JOBS_EAGER``: ``1`` runs jobs inside the process that queues them (no worker; for tests/debugging).
- ``CAPMARKET_JOB_LEASE_SECONDS``: a running job whose worker is silent this long is presumed dead and re-run.
- ``CAPMARKET_JOB_MAX_AUTOMATIC_RETRIES`` / ``CAPMARKET_JOB_RETRY_BASE_SECONDS``: automatic retries (with back-off)
  of a job that failed for a passing reason; ``CAPMARKET_WORKER_STOP_GRACE_SECONDS``: how long a stopping worker
  lets a job run on before handing it back.
- ``CAPMARKET_INTAKE_MAX_BYTES`` / ``_MAX_ROWS`` / ``_MAX_EXPANDED_BYTES`` / ``_INLINE_MAX_BYTES``: upload limits.
- ``CAPMARKET_SCHEDULER_TICK_SECONDS``: how often the scheduler looks for periodic work (default 30).
- ``CAPMARKET_EMAIL_*``: the outbox's batch size, claim lease, retry back-off and attempts (see below).
- ``CAPMARKET_STORAGE``: ``local`` (default: folders ``CAPMARKET_MEDIA_DIR`` and ``CAPMARKET_DATASETS_DIR``, a shared
  mount when several machines serve one site) or ``s3`` (S3-compatible object storage: ``CAPMARKET_S3_BUCKET``,
  ``CAPMARKET_S3_ENDPOINT_URL``, ``CAPMARKET_S3_REGION``; keys from ``AWS_ACCESS_KEY_ID`` /
  ``AWS_SECRET_ACCESS_KEY``); ``CAPMARKET_DATASET_CACHE_DIR``: this machine's copies of dataset files fetched from
  object storage.
- ``CAPMARKET_LOG_FORMAT``: ``json`` (default: one JSON object per line) or ``text``; ``CAPMARKET_LOG_STREAM``:
  ``stderr`` (default; ``capmarket serve`` uses ``stdout``); ``CAPMARKET_LOG_LEVEL`` (``WARNING``) and
  ``CAPMARKET_REQUEST_LOG`` (``1``: one line per web request, with request id, user, company and duration).
- ``CAPMARKET_STATIC_COLLECTED``: ``1`` when ``collectstatic`` has filled ``STATIC_ROOT`` (the container image):
  whitenoise serves the collected, hashed and compressed files with far-future caching.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("CAPMARKET_VAR_DIR", BASE_DIR / "var"))

DEBUG = _env_bool("CAPMARKET_DEBUG", False)


def _secret_key() -> str:
    """CAPMARKET_SECRET_KEY, else this installation's own random key, made on first use under VAR_DIR."""
    if key := os.environ.get("CAPMARKET_SECRET_KEY", ""):
        return key
    path = VAR_DIR / "secret_key"
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    try:
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    except FileExistsError:
        pass
    return path.read_text().strip()


SECRET_KEY = _secret_key()

# Transport security (issue 7 §6): on unless debug; CAPMARKET_HTTPS=0 only for plain HTTP on this machine.
HTTPS = _env_bool("CAPMARKET_HTTPS", not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = HTTPS
if _env_bool("CAPMARKET_TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Addresses/networks of the TLS front(s): their X-Real-IP / X-Forwarded-For names the client (login throttle, audit).
CAPMARKET_TRUSTED_PROXIES = os.environ.get("CAPMARKET_TRUSTED_PROXIES", "")

ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("CAPMARKET_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI / ReDoc served from our static files: /api/docs/ works offline
    "simple_history",
    "django_htmx",
    # domain apps (one per bounded context)
    "capmarket.domain.accounts",
    "capmarket.domain.audit",
    "capmarket.domain.registry",
    "capmarket.domain.contracts",
    "capmarket.domain.rulesets",
    "capmarket.domain.notices",
    "capmarket.domain.jobs",
    "capmarket.domain.timeseries",
    "capmarket.domain.outages",
    "capmarket.domain.settlement",
    "capmarket.domain.objections",
    "capmarket.domain.notifications",
    "capmarket.domain.alerts",
    "capmarket.domain.predelivery",
    "capmarket.domain.auctions",
    "capmarket.domain.helpdesk",
    "capmarket.domain.reporting",
    "capmarket.domain.access",
    "capmarket.domain.calendar",
    "capmarket.domain.ledger",
    "capmarket.domain.documents",
    "capmarket.domain.treasury",
    # interfaces
    "capmarket.interfaces.web",
    "capmarket.interfaces.api",
    "capmarket.interfaces.cli",
    "capmarket.interfaces.ops",
]

MIDDLEWARE = [
    "capmarket.interfaces.ops.middleware.ProbeMiddleware",
    "capmarket.interfaces.ops.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "capmarket.interfaces.web.middleware.AccessPolicyMiddleware",
    "capmarket.interfaces.web.middleware.AccessDeniedAuditMiddleware",
    "capmarket.interfaces.web.middleware.PasswordChangeRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "capmarket.config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "capmarket.interfaces.web.context.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "capmarket.config.wsgi.application"

VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'capmarket.sqlite3'}"),
        conn_max_age=int(os.environ.get("CAPMARKET_DB_CONN_MAX_AGE", "0")),
        conn_health_checks=True,  # a kept connection that died (database restarted) is replaced, not used
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while a background job writes; a writer waits up to 20 s for another (busy
    # timeout), and IMMEDIATE transactions take the write lock at BEGIN, so two writers queue instead of failing
    # with "database is locked" when a read transaction tries to become a write one.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = ["capmarket.interfaces.auth.LockingModelBackend"]

# Password policy (seed 002 §3.4, §3.5): length, character classes, no reuse of recent passwords.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "capmarket.domain.accounts.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "capmarket.domain.accounts.passwords.NoReuseValidator", "OPTIONS": {"history": 5}},
]
# Login protection (capmarket/interfaces/auth.py): throttle per user ID and client address, per address, and the
# account lock that only an administrator lifts.
CAPMARKET_LOGIN_FAILURE_LIMIT = int(os.environ.get("CAPMARKET_LOGIN_FAILURE_LIMIT", "5"))
CAPMARKET_LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("CAPMARKET_LOGIN_ADDRESS_FAILURE_LIMIT", "30"))
CAPMARKET_LOGIN_THROTTLE_SECONDS = int(os.environ.get("CAPMARKET_LOGIN_THROTTLE_SECONDS", "900"))
CAPMARKET_LOGIN_LOCK_LIMIT = int(os.environ.get("CAPMARKET_LOGIN_LOCK_LIMIT", "30"))

# Access as the terms of use say (seed 002 §2–§3; capmarket/interfaces/access.py; README "Access"):
# client certificates verified by the TLS front (deploy/nginx/) and believed only with the shared secret (and, if
# listed, from the proxies' addresses); service hours; request limits per client and company per window.
CAPMARKET_CLIENT_CERTIFICATES = _env_bool("CAPMARKET_CLIENT_CERTIFICATES", True)
CAPMARKET_CLIENT_CERT_PROXY_SECRET = os.environ.get("CAPMARKET_CLIENT_CERT_PROXY_SECRET", "")
CAPMARKET_CLIENT_CERT_PROXIES = [
    a.strip() for a in os.environ.get("CAPMARKET_CLIENT_CERT_PROXIES", "").split(",") if a.strip()
]
CAPMARKET_CLIENT_CA_FILE = os.environ.get("CAPMARKET_CLIENT_CA_FILE", "")
CAPMARKET_CERTIFICATE_AUDIT_SECONDS = float(os.environ.get("CAPMARKET_CERTIFICATE_AUDIT_SECONDS", "3600"))
CAPMARKET_SERVICE_HOURS = _env_bool("CAPMARKET_SERVICE_HOURS", True)
CAPMARKET_REQUEST_LIMIT_PER_CLIENT = int(os.environ.get("CAPMARKET_REQUEST_LIMIT_PER_CLIENT", "600"))
CAPMARKET_REQUEST_LIMIT_PER_COMPANY = int(os.environ.get("CAPMARKET_REQUEST_LIMIT_PER_COMPANY", "3000"))
CAPMARKET_REQUEST_LIMIT_WINDOW_SECONDS = int(os.environ.get("CAPMARKET_REQUEST_LIMIT_WINDOW_SECONDS", "60"))
CAPMARKET_APPLICATION_LIMIT_PER_HOUR = int(os.environ.get("CAPMARKET_APPLICATION_LIMIT_PER_HOUR", "10"))

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:portal"
LOGOUT_REDIRECT_URL = "web:login"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 8
CSRF_COOKIE_HTTPONLY = False

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("CAPMARKET_STATIC_ROOT", VAR_DIR / "staticfiles"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Production (the image runs collectstatic): hashed, compressed files from STATIC_ROOT, cached for a year. The
# embedded default serves the apps' static files as they are, without a collectstatic step.
STATIC_COLLECTED = _env_bool("CAPMARKET_STATIC_COLLECTED", False)
WHITENOISE_USE_FINDERS = not STATIC_COLLECTED
STORAGES: dict[str, dict[str, object]] = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": os.environ.get("CAPMARKET_MEDIA_DIR", str(VAR_DIR / "media"))},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_COLLECTED
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
    # issued documents' PDFs: written once, read-only files (object storage in production: a write-once bucket)
    "documents": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "documents"), "file_permissions_mode": 0o444},
    },
}
DATASETS_DIR = Path(os.environ.get("CAPMARKET_DATASETS_DIR", VAR_DIR / "datasets"))
CAPMARKET_DATASET_CACHE_DIR = Path(os.environ.get("CAPMARKET_DATASET_CACHE_DIR", VAR_DIR / "dataset-cache"))
CAPMARKET_STORAGE = os.environ.get("CAPMARKET_STORAGE", "local").strip().lower()
if CAPMARKET_STORAGE == "s3":
    # Attachments and run outputs ("default"), datasets and issued documents in one bucket, under three prefixes.
    _s3_options = {
        "bucket_name": os.environ.get("CAPMARKET_S3_BUCKET", "capmarket"),
        "endpoint_url": os.environ.get("CAPMARKET_S3_ENDPOINT_URL") or None,
        "region_name": os.environ.get("CAPMARKET_S3_REGION") or None,
        "file_overwrite": False,
        "default_acl": None,
        "querystring_auth": True,
    }
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {**_s3_options, "location": "media"}}
    STORAGES["datasets"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {**_s3_options, "location": "datasets"},
    }
    # issued documents: never overwritten (file_overwrite False); make the bucket's "documents/" prefix write-once
    # (object lock) in production
    STORAGES["documents"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {**_s3_options, "location": "documents"},
    }
elif CAPMARKET_STORAGE != "local":
    raise ValueError(f"CAPMARKET_STORAGE must be 'local' or 's3', not {CAPMARKET_STORAGE!r}")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "capmarket.interfaces.api.authentication.CheckedTokenAuthentication",
        "capmarket.interfaces.api.authentication.CheckedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "capmarket API",
    "DESCRIPTION": "容量市場 administration system: participant portal and back-office API",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One schema name per choice set (fields named "status"/"area" recur across resources).
    "ENUM_NAME_OVERRIDES": {
        "ParticipantStatusEnum": "capmarket.domain.registry.models.ParticipantStatus",
        "ResourceStatusEnum": "capmarket.domain.registry.models.ResourceStatus",
        "AreaEnum": "capmarket.domain.registry.models.AREA_CHOICES",
        "PublicationKindEnum": "capmarket.domain.alerts.models.PublicationKind",
        "ContractChangeKindEnum": "capmarket.domain.contracts.models.ChangeKind",
        "SettlementRunStateEnum": "capmarket.domain.settlement.models.RunState",
        "DataIssueStateEnum": "capmarket.domain.settlement.models.IssueState",
        "ObjectionStatusEnum": "capmarket.domain.objections.models.ObjectionStatus",
        "InquiryStatusEnum": "capmarket.domain.helpdesk.models.Status",
        "InquiryCategoryEnum": "capmarket.domain.helpdesk.models.Category",
        "InquiryChannelEnum": "capmarket.domain.helpdesk.models.Channel",
        "InquiryPriorityEnum": "capmarket.domain.helpdesk.models.Priority",
        "OperationReportKindEnum": "capmarket.domain.reporting.models.ReportKind",
        "DocumentDirectionEnum": "capmarket.domain.documents.models.Direction",
        "InquiryMessageDirectionEnum": "capmarket.domain.helpdesk.models.Direction",
        "PhoneCallDirectionEnum": "capmarket.domain.helpdesk.models.CallDirection",
        "InquiryLinkKindEnum": "capmarket.domain.helpdesk.models.LinkKind",
    },
}

EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("CAPMARKET_EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = os.environ.get("CAPMARKET_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("CAPMARKET_EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("CAPMARKET_FROM_EMAIL", "capmarket@localhost")
EMAIL_TIMEOUT = int(os.environ.get("CAPMARKET_EMAIL_TIMEOUT", "30"))
# The outbox (capmarket.domain.notifications): batch size per claim, how long a claim holds, retry back-off.
CAPMARKET_EMAIL_BATCH_SIZE = int(os.environ.get("CAPMARKET_EMAIL_BATCH_SIZE", "100"))
CAPMARKET_EMAIL_CLAIM_SECONDS = float(os.environ.get("CAPMARKET_EMAIL_CLAIM_SECONDS", "300"))
CAPMARKET_EMAIL_RETRY_BASE_SECONDS = float(os.environ.get("CAPMARKET_EMAIL_RETRY_BASE_SECONDS", "60"))
CAPMARKET_EMAIL_RETRY_MAX_SECONDS = float(os.environ.get("CAPMARKET_EMAIL_RETRY_MAX_SECONDS", "3600"))
CAPMARKET_EMAIL_MAX_ATTEMPTS = int(os.environ.get("CAPMARKET_EMAIL_MAX_ATTEMPTS", "8"))

# Background jobs (architecture.md, "Long work"). Unset CELERY_BROKER_URL = the embedded broker: kombu's
# filesystem transport in var/queue/ — a real queue that needs no server, shared by the processes of one machine.
QUEUE_DIR = Path(os.environ.get("CAPMARKET_QUEUE_DIR", VAR_DIR / "queue"))
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "") or "filesystem://"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(QUEUE_DIR / "messages"),
        "data_folder_out": str(QUEUE_DIR / "messages"),
        "control_folder": str(QUEUE_DIR / "control"),
        "processed_folder": str(QUEUE_DIR / "processed"),
        "store_processed": False,
        "polling_interval": 0.5,
    }
CELERY_TASK_ALWAYS_EAGER = _env_bool("CAPMARKET_JOBS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_IGNORE_RESULT = True  # a job's outcome lives in its database record
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CAPMARKET_JOB_LEASE_SECONDS = float(os.environ.get("CAPMARKET_JOB_LEASE_SECONDS", "60"))
CAPMARKET_JOB_REDISPATCH_SECONDS = float(os.environ.get("CAPMARKET_JOB_REDISPATCH_SECONDS", "300"))
# A job failing for a passing reason (database locked, serialization failure) is retried this often, after
# base × 2^n seconds; a worker asked to stop hands back a job still running after the grace period.
CAPMARKET_JOB_MAX_AUTOMATIC_RETRIES = int(os.environ.get("CAPMARKET_JOB_MAX_AUTOMATIC_RETRIES", "5"))
CAPMARKET_JOB_RETRY_BASE_SECONDS = float(os.environ.get("CAPMARKET_JOB_RETRY_BASE_SECONDS", "10"))
CAPMARKET_WORKER_STOP_GRACE_SECONDS = float(os.environ.get("CAPMARKET_WORKER_STOP_GRACE_SECONDS", "30"))
# The scheduler (celery beat; embedded in `capmarket worker` unless --no-beat, or alone: `capmarket scheduler`) sends
# one "tick" task this often; the tick starts whatever periodic work is due (application.scheduled). Every duty is
# keyed by its time bucket, so two schedulers never do the same work twice.
CAPMARKET_SCHEDULER_TICK_SECONDS = float(os.environ.get("CAPMARKET_SCHEDULER_TICK_SECONDS", "30"))
CELERY_BEAT_SCHEDULE = {
    "capmarket-tick": {"task": "capmarket.tick", "schedule": CAPMARKET_SCHEDULER_TICK_SECONDS},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(QUEUE_DIR / "beat-schedule")

# Data intake (一括登録): refuse files above these limits; process files above the inline size as a background job.
CAPMARKET_INTAKE_MAX_BYTES = int(os.environ.get("CAPMARKET_INTAKE_MAX_BYTES", str(512 * 1024 * 1024)))
CAPMARKET_INTAKE_MAX_ROWS = int(os.environ.get("CAPMARKET_INTAKE_MAX_ROWS", "10000000"))
CAPMARKET_INTAKE_INLINE_MAX_BYTES = int(os.environ.get("CAPMARKET_INTAKE_INLINE_MAX_BYTES", str(2 * 1024 * 1024)))
CAPMARKET_INTAKE_MAX_EXPANDED_BYTES = int(
    os.environ.get("CAPMARKET_INTAKE_MAX_EXPANDED_BYTES", str(1024 * 1024 * 1024))
)
# Reserve-margin publications (広域予備率): URLs the poller fetches (comma-separated; empty = off), how often, and a
# watched folder (empty = off). See capmarket.application.reserve_margins.
CAPMARKET_RESERVE_MARGIN_URLS = os.environ.get("CAPMARKET_RESERVE_MARGIN_URLS", "")
CAPMARKET_RESERVE_MARGIN_POLL_SECONDS = float(os.environ.get("CAPMARKET_RESERVE_MARGIN_POLL_SECONDS", "1800"))
CAPMARKET_RESERVE_MARGIN_INBOX = os.environ.get("CAPMARKET_RESERVE_MARGIN_INBOX", "")

# Inquiry desk (capmarket.domain.helpdesk): the SLA clock's business hours (Japan time, business days of the operator's
# calendar) and working hours allowed for a first answer by priority; the mailboxes fetched (IMAP over TLS and/or a
# local maildir; empty = off) and how often; what attachments are accepted.
CAPMARKET_HELPDESK_BUSINESS_HOURS = os.environ.get("CAPMARKET_HELPDESK_BUSINESS_HOURS", "09:00-18:00")
CAPMARKET_HELPDESK_SLA_HOURS = {"high": 9, "normal": 27, "low": 45}
CAPMARKET_HELPDESK_TUESDAY_HOLIDAYS_WORKED = _env_bool("CAPMARKET_HELPDESK_TUESDAY_HOLIDAYS_WORKED", True)
CAPMARKET_HELPDESK_IMAP_HOST = os.environ.get("CAPMARKET_HELPDESK_IMAP_HOST", "")
CAPMARKET_HELPDESK_IMAP_PORT = int(os.environ.get("CAPMARKET_HELPDESK_IMAP_PORT", "993"))
CAPMARKET_HELPDESK_IMAP_USER = os.environ.get("CAPMARKET_HELPDESK_IMAP_USER", "")
CAPMARKET_HELPDESK_IMAP_PASSWORD = os.environ.get("CAPMARKET_HELPDESK_IMAP_PASSWORD", "")
CAPMARKET_HELPDESK_IMAP_MAILBOX = os.environ.get("CAPMARKET_HELPDESK_IMAP_MAILBOX", "INBOX")
CAPMARKET_HELPDESK_IMAP_CAFILE = os.environ.get("CAPMARKET_HELPDESK_IMAP_CAFILE", "")  # extra CA (private server)
CAPMARKET_HELPDESK_MAILDIR = os.environ.get("CAPMARKET_HELPDESK_MAILDIR", "")
CAPMARKET_HELPDESK_FETCH_SECONDS = float(os.environ.get("CAPMARKET_HELPDESK_FETCH_SECONDS", "300"))
CAPMARKET_HELPDESK_ATTACHMENT_MAX_BYTES = int(os.environ.get("CAPMARKET_HELPDESK_ATTACHMENT_MAX_BYTES", str(10 << 20)))

# Logs (capmarket.config.logs): JSON lines by default, each with the id of the request being served. The request
# log (one line per request: id, method, path, status, duration, user, company) is on by default; commands keep
# stdout for their machine output, so logs go to stderr unless CAPMARKET_LOG_STREAM=stdout (`capmarket serve`).
CAPMARKET_LOG_FORMAT = os.environ.get("CAPMARKET_LOG_FORMAT", "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "capmarket.config.logs.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "capmarket.config.logs.JsonFormatter"},
        "text": {"()": "capmarket.config.logs.TextFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": f"ext://sys.{'stdout' if os.environ.get('CAPMARKET_LOG_STREAM') == 'stdout' else 'stderr'}",
            "formatter": "text" if CAPMARKET_LOG_FORMAT == "text" else "json",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("CAPMARKET_LOG_LEVEL", "WARNING")},
    "loggers": {
        "capmarket.request": {"level": "INFO" if _env_bool("CAPMARKET_REQUEST_LOG", True) else "WARNING"},
        # Django logs 4xx/5xx responses itself; our request log already has one line per request.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
    },
}
