"""Every setting of the service, read from the environment here and nowhere else.

With nothing set the service runs on embedded defaults — SQLite and Celery's server-less
file-system broker, both under ``JOST_DATA_DIR`` (default: the platform's user data folder) — so
``jost serve`` needs nothing installed. Production sets ``DATABASE_URL`` (PostgreSQL) and
``CELERY_BROKER_URL`` or ``REDIS_URL`` (Redis), ``SECRET_KEY`` and ``ALLOWED_HOSTS``.

Variables (all optional):
  DATABASE_URL, CELERY_BROKER_URL / REDIS_URL, CACHE_URL, SECRET_KEY, DEBUG, ALLOWED_HOSTS,
  CSRF_TRUSTED_ORIGINS, PORT, JOST_DATA_DIR, JOST_QUEUE, JOST_LOG_LEVEL,
  JOST_MAX_ROUNDS, JOST_MAX_BODY_BYTES, JOST_THROTTLE_USER, JOST_THROTTLE_SUBMIT,
  JOST_THROTTLE_ANON, JOST_TOKEN_CACHE_S, JOST_WEB_THREADS, JOST_HEARTBEAT_S,
  JOST_STALE_AFTER_S, JOST_REAPER_INTERVAL_S, JOST_MAX_ATTEMPTS, JOST_PENDING_REDISPATCH_S,
  JOST_TIME_LIMIT_BASE_S, JOST_TIME_LIMIT_MIN_ROUNDS_PER_S, JOST_PROGRESS_INTERVAL_S,
  JOST_RETENTION_DAYS, JOST_SHARD_ROUNDS, JOST_DB_POOL (a pool of that many PostgreSQL
  connections per process, in place of one persistent connection per thread; off by default,
  never in forking workers).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
import django
import platformdirs

from jost_engine import ENGINE_VERSION


class ImproperlyConfiguredEnv(ValueError):
    """An environment variable that cannot be read; says which one and what it expects."""


def _env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, "").strip() or default


def _env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfiguredEnv(f"{name} must be true or false, got {raw!r}")


def _env_number(name: str, default: float, cast: type = int) -> Any:
    raw = os.environ.get(name, "").strip().replace("_", "")
    if not raw:
        return default
    try:
        return cast(float(raw)) if cast is int else cast(raw)
    except ValueError:
        raise ImproperlyConfiguredEnv(f"{name} must be a number, got {raw!r}") from None


def _env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name, "")
    items = [item.strip() for item in raw.split(",") if item.strip()]
    return items or default


# --------------------------------------------------------------------------------------------
# Where embedded state lives
# --------------------------------------------------------------------------------------------

DATA_DIR = Path(_env_str("JOST_DATA_DIR") or platformdirs.user_data_dir("jost", appauthor=False))
SERVICE_DIR = DATA_DIR / "service"
SERVICE_DIR.mkdir(parents=True, exist_ok=True)
BASE_DIR = Path(__file__).resolve().parent


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the data folder.

    Tokens do not depend on it (only admin sessions do), so a local service may keep its own.
    """
    key = _env_str("SECRET_KEY")
    if key:
        return key
    path = SERVICE_DIR / "secret_key"
    if not path.exists():
        # Written under a temporary name and linked into place: when several processes start
        # at once, exactly one key wins and nobody reads a half-written file.
        temporary = path.with_name(f"secret_key.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(secrets.token_urlsafe(50))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("DEBUG", False)
ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS", [])
PORT = _env_number("PORT", 8000)

# --------------------------------------------------------------------------------------------
# Django
# --------------------------------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "service.simulator",
    "service.api",
    "service.live",
    "service.workbench",
]

MIDDLEWARE = [
    "service.api.middleware.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "service.urls"
WSGI_APPLICATION = "service.wsgi.application"
ASGI_APPLICATION = "service.asgi.application"  # HTTP and the live-progress WebSockets
APPEND_SLASH = False  # the API accepts paths with or without the slash; never redirect a POST
CSRF_FAILURE_VIEW = "service.api.errors.csrf_failure"

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
            ],
        },
    },
]


def _databases() -> dict[str, Any]:
    url = _env_str("DATABASE_URL")
    if url:
        db = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        pool = _env_number("JOST_DB_POOL", 0)
        if db["ENGINE"] == "django.db.backends.postgresql" and pool > 0:
            # for servers that run each request in a new thread, where a persistent connection
            # per thread would be a new connection per request (~7 ms of CPU)
            db["CONN_MAX_AGE"] = 0
            db["CONN_HEALTH_CHECKS"] = False  # the pool hands out live connections
            db.setdefault("OPTIONS", {})["pool"] = {"min_size": 1, "max_size": pool}
    else:
        db = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(SERVICE_DIR / "db.sqlite3")}
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # Web and worker processes share the file: WAL lets readers run beside the writer,
        # IMMEDIATE transactions take the write lock up front (no deadlock on upgrade), and the
        # timeout waits for a busy writer instead of failing.
        options = db.setdefault("OPTIONS", {})
        options.update(
            {"timeout": 30, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
        )
        if django.VERSION >= (5, 1):
            options["transaction_mode"] = "IMMEDIATE"
        name = str(db["NAME"])
        db.setdefault("TEST", {}).setdefault(
            "NAME", str(Path(name).with_name("test_" + Path(name).name))
        )
    return {"default": db}


DATABASES = _databases()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _caches() -> dict[str, Any]:
    """A shared cache (throttle counters) when Redis is configured, else this process's memory."""
    url = _env_str("CACHE_URL") or _env_str("REDIS_URL")
    if url.startswith(("redis://", "rediss://")):
        return {
            "default": {
                "BACKEND": "service.cache.ReusingRedisCache",
                "LOCATION": url,
                "KEY_PREFIX": "jost",
            }
        }
    return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


CACHES = _caches()

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = SERVICE_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns about a missing folder
WHITENOISE_USE_FINDERS = True  # serve app static files without a collectstatic step
WHITENOISE_AUTOREFRESH = DEBUG

if _env_bool("JOST_BEHIND_HTTPS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": _env_str("JOST_LOG_LEVEL", "INFO")},
}

# --------------------------------------------------------------------------------------------
# JOST limits and job reliability
# --------------------------------------------------------------------------------------------

JOST_MAX_ROUNDS = _env_number("JOST_MAX_ROUNDS", 1_000_000_000)
JOST_MAX_BODY_BYTES = _env_number("JOST_MAX_BODY_BYTES", 256 * 1024)
# seconds a web process remembers a checked API token (service.api.authentication); 0 = off
JOST_TOKEN_CACHE_S = _env_number("JOST_TOKEN_CACHE_S", 5.0, float)
# threads per web process serving HTTP under ASGI (service.asgi), each with its own connection
JOST_WEB_THREADS = _env_number("JOST_WEB_THREADS", 4)
DATA_UPLOAD_MAX_MEMORY_SIZE = JOST_MAX_BODY_BYTES
# How often a running job proves it is alive, and when silence means its worker is gone.
JOST_HEARTBEAT_S = _env_number("JOST_HEARTBEAT_S", 5.0, float)
JOST_STALE_AFTER_S = _env_number("JOST_STALE_AFTER_S", 60.0, float)
JOST_REAPER_INTERVAL_S = _env_number("JOST_REAPER_INTERVAL_S", 30.0, float)
JOST_MAX_ATTEMPTS = _env_number("JOST_MAX_ATTEMPTS", 3)
# A PENDING job is sent to the queue again when its message may have been lost.
JOST_PENDING_REDISPATCH_S = _env_number("JOST_PENDING_REDISPATCH_S", 3600.0, float)
# Progress is written to the job row (and the cancel flag read) at most this often.
JOST_PROGRESS_INTERVAL_S = _env_number("JOST_PROGRESS_INTERVAL_S", 1.0, float)
# Time limits grow with the job: base + rounds / (the slowest rate a healthy worker runs at).
JOST_TIME_LIMIT_BASE_S = _env_number("JOST_TIME_LIMIT_BASE_S", 120.0, float)
JOST_TIME_LIMIT_MIN_ROUNDS_PER_S = _env_number("JOST_TIME_LIMIT_MIN_ROUNDS_PER_S", 500_000.0, float)
# Finished jobs (and their results) are deleted this many days after they finished; 0 keeps them.
JOST_RETENTION_DAYS = _env_number("JOST_RETENTION_DAYS", 0.0, float)
JOST_QUEUE = _env_str("JOST_QUEUE", "jost")
# A job of more rounds than this is split into shards of about this many rounds, each a task any
# worker may run (about 2 s on one core of a laptop); shards have their own queue, so a small job
# never waits behind a large job's backlog (see README, "Sharded jobs").
JOST_SHARD_ROUNDS = _env_number("JOST_SHARD_ROUNDS", 20_000_000)
if JOST_SHARD_ROUNDS < 1:
    raise ImproperlyConfiguredEnv(f"JOST_SHARD_ROUNDS must be at least 1, got {JOST_SHARD_ROUNDS}")
JOST_SHARD_QUEUE = f"{JOST_QUEUE}.shards"
JOST_ENGINE_VERSION = ENGINE_VERSION

# --------------------------------------------------------------------------------------------
# REST framework and the OpenAPI schema
# --------------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["service.api.authentication.CachedTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["service.api.parsers.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": [
        "service.api.throttles.AnonRateThrottle",
        "service.api.throttles.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": _env_str("JOST_THROTTLE_ANON", "120/minute"),
        "user": _env_str("JOST_THROTTLE_USER", "1200/minute"),
        "submit": _env_str("JOST_THROTTLE_SUBMIT", "300/minute"),
    },
    "EXCEPTION_HANDLER": "service.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "JOST service API",
    "DESCRIPTION": (
        "Submit a fully-hydrated JOST simulation config, follow the job, fetch its result. "
        "Authenticate with `Authorization: Token <key>` (POST /api/auth/token/)."
    ),
    "VERSION": ENGINE_VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "PREPROCESSING_HOOKS": ["service.api.schema.only_canonical_paths"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "service.api.schema.add_config_schema",
    ],
}

# --------------------------------------------------------------------------------------------
# Celery (the `CELERY_` prefix is read by service.celery_app)
# --------------------------------------------------------------------------------------------


def _longest_job_s() -> float:
    """The hard time limit of the largest job this service accepts (see simulator.services)."""
    soft = JOST_TIME_LIMIT_BASE_S + JOST_MAX_ROUNDS / JOST_TIME_LIMIT_MIN_ROUNDS_PER_S
    return soft + 60


CELERY_BROKER_URL = _env_str("CELERY_BROKER_URL") or _env_str("REDIS_URL") or "filesystem://"


def _channel_layers() -> dict[str, Any]:
    """Live progress: Redis (REDIS_URL, else a Redis broker) carries a worker's messages to
    every web process; without it, the in-memory layer and watchers that read the database
    about once a second (see service.live.consumers)."""
    url = _env_str("REDIS_URL") or CELERY_BROKER_URL
    if url.startswith(("redis://", "rediss://")):
        return {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [url], "prefix": "jost.live", "capacity": 1000},
            }
        }
    return {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


CHANNEL_LAYERS = _channel_layers()
JOST_EMBEDDED_BROKER = CELERY_BROKER_URL.startswith("filesystem://")
if JOST_EMBEDDED_BROKER:
    _broker_dir = SERVICE_DIR / "broker"
    for _sub in ("queue", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    # Writes each message to a temporary name first, so a reader never sees half of it.
    CELERY_BROKER_TRANSPORT = "service.broker:AtomicFilesystemTransport"
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        "polling_interval": 0.2,
    }
    # The file-system transport has no broadcast channel for remote control.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
else:
    if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        # publishes through one client instead of building one per message
        CELERY_BROKER_TRANSPORT = "service.broker:ReusingRedisTransport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Longer than the longest job: an unacknowledged message is handed out again only
        # after this, and by then the reaper has long since re-queued a job whose worker died.
        "visibility_timeout": max(3600, int(2 * _longest_job_s())),
        "socket_connect_timeout": 5,
        "socket_timeout": 30,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 5
CELERY_TASK_DEFAULT_QUEUE = JOST_QUEUE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_ACKS_ON_FAILURE_OR_TIMEOUT = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_TASK_IGNORE_RESULT = True  # the SimulationJob row is the source of truth
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
CELERY_BEAT_SCHEDULE_FILENAME = str(SERVICE_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "reap-stale-jobs": {
        "task": "simulator.reap_stale_jobs",
        "schedule": JOST_REAPER_INTERVAL_S,
        "options": {"expires": max(1.0, JOST_REAPER_INTERVAL_S)},
    },
}
