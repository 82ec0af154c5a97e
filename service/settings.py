"""Every setting of the service, read from the environment here and nowhere else.

With nothing set the service runs on embedded defaults — SQLite and Celery's server-less
file-system broker, both under ``JOST_DATA_DIR`` (default: the platform's user data folder) — so
``jost serve`` needs nothing installed. Production sets ``DATABASE_URL`` (PostgreSQL) and
``CELERY_BROKER_URL`` or ``REDIS_URL`` (Redis), ``SECRET_KEY`` and ``ALLOWED_HOSTS``, and
``JOST_PRODUCTION=true``, which refuses to start without those (or with ``DEBUG``) and turns on
HTTPS hardening (HSTS, an HTTPS redirect, secure cookies; docs/operations.md, "Security").

Variables (all optional):
  DATABASE_URL, CELERY_BROKER_URL / REDIS_URL, CACHE_URL, SECRET_KEY, DEBUG, ALLOWED_HOSTS,
  CSRF_TRUSTED_ORIGINS, PORT, JOST_DATA_DIR, JOST_QUEUE, JOST_LOG_LEVEL,
  JOST_MAX_ROUNDS, JOST_MAX_BODY_BYTES, JOST_THROTTLE_USER, JOST_THROTTLE_SUBMIT,
  JOST_THROTTLE_ANON, JOST_TOKEN_CACHE_S, JOST_WEB_THREADS, JOST_HEARTBEAT_S,
  JOST_STALE_AFTER_S, JOST_REAPER_INTERVAL_S, JOST_MAX_ATTEMPTS, JOST_PENDING_REDISPATCH_S,
  JOST_PENDING_BACKSTOP_S, JOST_REAPER_LATE_S,
  JOST_TIME_LIMIT_BASE_S, JOST_TIME_LIMIT_MIN_ROUNDS_PER_S, JOST_PROGRESS_INTERVAL_S,
  JOST_RETENTION_DAYS, JOST_SHARD_ROUNDS, JOST_STUDY_MAX_POINTS, JOST_STUDY_MAX_ROUNDS,
  JOST_STUDY_MAX_ACTIVE, JOST_STUDY_WINDOW, JOST_PRODUCTION, JOST_BEHIND_HTTPS_PROXY,
  JOST_HSTS_SECONDS, JOST_TRUSTED_PROXIES, JOST_TOKEN_TTL_DAYS, JOST_LOGIN_WINDOW_S,
  JOST_LOGIN_FAILURES_PER_ACCOUNT, JOST_LOGIN_FAILURES_PER_ADDRESS, JOST_LOGIN_CONCURRENCY,
  JOST_LOGIN_WAIT_S, JOST_HEADER_TIMEOUT_S, JOST_CONTROL_SOCKET,
  JOST_DB_POOL (a pool of that many PostgreSQL connections per process, in place of one
  persistent connection per thread; off by default, never in forking workers).
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


# A deployment says so, and then must give what a local service may leave out.
JOST_PRODUCTION = _env_bool("JOST_PRODUCTION", False)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else (not in production) one generated once and kept in
    the data folder.

    Tokens do not depend on it (only sessions do), so a local service may keep its own; a
    production one must not silently get a key per data folder (sessions would break across
    machines, and nobody would know where the key is).
    """
    key = _env_str("SECRET_KEY")
    if key:
        return key
    if JOST_PRODUCTION:
        raise ImproperlyConfiguredEnv(
            "JOST_PRODUCTION=true needs SECRET_KEY: set it to a long random string (the same on "
            "every web process), e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
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
if JOST_PRODUCTION:
    _refusals = []
    if DEBUG:
        _refusals.append(
            "DEBUG must be off (its error pages show settings and code to anyone who asks)"
        )
    if not _env_list("ALLOWED_HOSTS", []):
        _refusals.append("ALLOWED_HOSTS must name the host names clients use (comma-separated)")
    if _refusals:
        raise ImproperlyConfiguredEnv("JOST_PRODUCTION=true: " + "; ".join(_refusals))
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
    "rest_framework.authtoken",  # only so accounts' migration can hash its old clear keys
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc served from here, not from a CDN
    "service.accounts",  # before the simulator: its jost_token command is the one that counts
    "service.simulator",
    "service.api",
    "service.live",
    "service.workbench",
    "service.studies",
]

MIDDLEWARE = [
    "service.api.middleware.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "service.content_policy.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "service.accounts.middleware.LoginRefusalMiddleware",
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
            # per thread would be a new connection per request (costlier than the request itself)
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
    """A shared cache (throttle counters) when Redis is configured, else this process's memory;
    throttles and login attempts ("throttle") count in Redis, else in one SQLite file every
    process of this machine shares (service.tally), so their counts are exact either way."""
    url = _env_str("CACHE_URL") or _env_str("REDIS_URL")
    if url.startswith(("redis://", "rediss://")):
        redis = {
            "BACKEND": "service.cache.ReusingRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "jost",
            # a Redis that is down costs a request this much at most (then: service.cache)
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
        # counters per deployment (queue): several may share one Redis, as the tests' stacks do
        throttle = {**redis, "KEY_PREFIX": f"jost.{_env_str('JOST_QUEUE', 'jost')}"}
        return {"default": redis, "throttle": throttle}
    return {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "throttle": {
            "BACKEND": "service.tally.SQLiteTallyCache",
            "LOCATION": str(SERVICE_DIR / "tally.sqlite3"),
            "KEY_PREFIX": "jost",
        },
    }


CACHES = _caches()
JOST_THROTTLE_CACHE = "throttle"

# every login (API token, workbench, admin) counted and limited: service.accounts.login_guard
AUTHENTICATION_BACKENDS = ["service.accounts.backends.GuardedModelBackend"]

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

# HTTPS: behind a TLS proxy that sets X-Forwarded-Proto (JOST_BEHIND_HTTPS_PROXY), and in any
# production deployment: HSTS, plain HTTP redirected (not the probes), cookies only over TLS.
JOST_BEHIND_HTTPS_PROXY = _env_bool("JOST_BEHIND_HTTPS_PROXY", False)
if JOST_BEHIND_HTTPS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if JOST_BEHIND_HTTPS_PROXY or JOST_PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
JOST_HSTS_SECONDS = _env_number("JOST_HSTS_SECONDS", 31_536_000 if JOST_PRODUCTION else 0)
SECURE_HSTS_SECONDS = JOST_HSTS_SECONDS
SECURE_HSTS_INCLUDE_SUBDOMAINS = JOST_HSTS_SECONDS > 0
SECURE_SSL_REDIRECT = JOST_PRODUCTION
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]  # the probes speak plain HTTP inside
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# A DEBUG error page (never in production) masks every URL-like setting: broker, cache, database.
DEFAULT_EXCEPTION_REPORTER_FILTER = "service.content_policy.MaskingReporterFilter"
# Every page: scripts, styles and connections from this site only (service.content_policy).
JOST_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'; form-action 'self'"
)
# Only these proxies' X-Forwarded-For is believed (addresses or networks, comma-separated).
JOST_TRUSTED_PROXIES = _env_list("JOST_TRUSTED_PROXIES", [])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"secrets": {"()": "service.accounts.log_redaction.RedactSecrets"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["secrets"],  # no ?token=KEY in any log line
        }
    },
    "root": {"handlers": ["console"], "level": _env_str("JOST_LOG_LEVEL", "INFO")},
}

# --------------------------------------------------------------------------------------------
# JOST limits and job reliability
# --------------------------------------------------------------------------------------------

JOST_MAX_ROUNDS = _env_number("JOST_MAX_ROUNDS", 1_000_000_000)
JOST_MAX_BODY_BYTES = _env_number("JOST_MAX_BODY_BYTES", 256 * 1024)
# seconds a web process remembers a checked API token (service.api.authentication); 0 = off
JOST_TOKEN_CACHE_S = _env_number("JOST_TOKEN_CACHE_S", 5.0, float)
# days an API token works after it is issued (service.accounts.tokens)
JOST_TOKEN_TTL_DAYS = _env_number("JOST_TOKEN_TTL_DAYS", 30.0, float)
# Logins (API token, workbench, admin; service.accounts.login_guard): attempts per account and
# per client address within the window, password checks at once per web process.
JOST_LOGIN_WINDOW_S = _env_number("JOST_LOGIN_WINDOW_S", 300.0, float)
JOST_LOGIN_FAILURES_PER_ACCOUNT = _env_number("JOST_LOGIN_FAILURES_PER_ACCOUNT", 10)
JOST_LOGIN_FAILURES_PER_ADDRESS = _env_number("JOST_LOGIN_FAILURES_PER_ADDRESS", 30)
JOST_LOGIN_CONCURRENCY = _env_number("JOST_LOGIN_CONCURRENCY", 1)
JOST_LOGIN_WAIT_S = _env_number("JOST_LOGIN_WAIT_S", 5.0, float)
# seconds a client has to send a request's headers (service.gunicorn_conf; slow clients)
JOST_HEADER_TIMEOUT_S = _env_number("JOST_HEADER_TIMEOUT_S", 10.0, float)
# threads per web process serving HTTP under ASGI (service.asgi), each with its own connection
JOST_WEB_THREADS = _env_number("JOST_WEB_THREADS", 4)
DATA_UPLOAD_MAX_MEMORY_SIZE = JOST_MAX_BODY_BYTES
# How often a running job proves it is alive, and when silence means its worker is gone: a
# killed worker's job runs again within JOST_STALE_AFTER_S + JOST_REAPER_INTERVAL_S (docs/
# operations.md, "Faults"). Every worker reaps, one at a time (simulator.reaper_turns).
JOST_HEARTBEAT_S = _env_number("JOST_HEARTBEAT_S", 2.0, float)
JOST_STALE_AFTER_S = _env_number("JOST_STALE_AFTER_S", 8.0, float)
JOST_REAPER_INTERVAL_S = _env_number("JOST_REAPER_INTERVAL_S", 3.0, float)
JOST_MAX_ATTEMPTS = _env_number("JOST_MAX_ATTEMPTS", 3)
# A PENDING job whose message the broker does not hold (lost in a broker restart, or a web
# process that died between its commit and the send) is sent again after this; on a broker that
# cannot be listed, and in any case, after JOST_PENDING_BACKSTOP_S.
JOST_PENDING_REDISPATCH_S = _env_number("JOST_PENDING_REDISPATCH_S", 10.0, float)
JOST_PENDING_BACKSTOP_S = _env_number("JOST_PENDING_BACKSTOP_S", 3600.0, float)
# /readyz answers 503 when no worker has reaped for this long (every worker may be gone)
JOST_REAPER_LATE_S = _env_number(
    "JOST_REAPER_LATE_S", max(60.0, 10 * JOST_REAPER_INTERVAL_S), float
)
# Progress is written to the job row (and the cancel flag read) at most this often.
JOST_PROGRESS_INTERVAL_S = _env_number("JOST_PROGRESS_INTERVAL_S", 1.0, float)
# Time limits grow with the job: base + rounds / (the slowest rate a healthy worker runs at).
JOST_TIME_LIMIT_BASE_S = _env_number("JOST_TIME_LIMIT_BASE_S", 120.0, float)
JOST_TIME_LIMIT_MIN_ROUNDS_PER_S = _env_number("JOST_TIME_LIMIT_MIN_ROUNDS_PER_S", 500_000.0, float)
# Finished jobs (and their results) are deleted this many days after they finished; 0 keeps them.
JOST_RETENTION_DAYS = _env_number("JOST_RETENTION_DAYS", 0.0, float)
JOST_QUEUE = _env_str("JOST_QUEUE", "jost")
# A job of more rounds than this is split into shards of about this many rounds, each a task any
# worker may run (a few seconds on one core: docs/sharding.md); shards have their own queue, so
# a small job never waits behind a large job's backlog (see README, "Sharded jobs").
JOST_SHARD_ROUNDS = _env_number("JOST_SHARD_ROUNDS", 20_000_000)
if JOST_SHARD_ROUNDS < 1:
    raise ImproperlyConfiguredEnv(f"JOST_SHARD_ROUNDS must be at least 1, got {JOST_SHARD_ROUNDS}")
# Studies (service.studies): points and rounds one study may have, studies a user may have
# running at once, and the window: how many of one user's points are jobs in the ledger at once
# (the next is submitted when one finishes), so a study never starves other users' jobs.
JOST_STUDY_MAX_POINTS = _env_number("JOST_STUDY_MAX_POINTS", 1000)
JOST_STUDY_MAX_ROUNDS = _env_number("JOST_STUDY_MAX_ROUNDS", 100_000_000_000)
JOST_STUDY_MAX_ACTIVE = _env_number("JOST_STUDY_MAX_ACTIVE", 3)
JOST_STUDY_WINDOW = _env_number("JOST_STUDY_WINDOW", 8)


def _check_fault_clocks() -> None:
    """The reliability clocks must make sense together, or a live job could be taken from its
    worker (a stale window shorter than a few heartbeats) or nothing would ever be reaped."""
    problems = [
        f"{name} must be more than 0, got {value:g}"
        for name, value in (
            ("JOST_HEARTBEAT_S", JOST_HEARTBEAT_S),
            ("JOST_REAPER_INTERVAL_S", JOST_REAPER_INTERVAL_S),
            ("JOST_PENDING_REDISPATCH_S", JOST_PENDING_REDISPATCH_S),
            ("JOST_PENDING_BACKSTOP_S", JOST_PENDING_BACKSTOP_S),
            ("JOST_REAPER_LATE_S", JOST_REAPER_LATE_S),
        )
        if not value > 0
    ]
    if JOST_HEARTBEAT_S > 0 and not JOST_STALE_AFTER_S >= 3 * JOST_HEARTBEAT_S:
        problems.append(
            f"JOST_STALE_AFTER_S ({JOST_STALE_AFTER_S:g}) must be at least 3 x JOST_HEARTBEAT_S "
            f"({JOST_HEARTBEAT_S:g}), or a live job could be taken from its worker"
        )
    if JOST_MAX_ATTEMPTS < 1:
        problems.append(f"JOST_MAX_ATTEMPTS must be at least 1, got {JOST_MAX_ATTEMPTS}")
    if problems:
        raise ImproperlyConfiguredEnv("; ".join(problems))


_check_fault_clocks()


def _check_limits() -> None:
    """Every other number must be finite and in its range, and every list readable: a bad value
    stops the start with its name, never a failure later (a reaper that overflows, a negative
    retention that silently keeps everything)."""
    import ipaddress
    import math

    ranges: tuple[tuple[str, float, float, float], ...] = (
        ("PORT", PORT, 1, 65535),
        ("JOST_RETENTION_DAYS", JOST_RETENTION_DAYS, 0, 36_500),
        ("JOST_MAX_ROUNDS", JOST_MAX_ROUNDS, 1, 10**13),
        ("JOST_MAX_BODY_BYTES", JOST_MAX_BODY_BYTES, 1024, 1 << 30),
        ("JOST_TOKEN_CACHE_S", JOST_TOKEN_CACHE_S, 0, 3600),
        ("JOST_TOKEN_TTL_DAYS", JOST_TOKEN_TTL_DAYS, 1 / 24, 3650),
        ("JOST_WEB_THREADS", JOST_WEB_THREADS, 1, 256),
        ("JOST_PROGRESS_INTERVAL_S", JOST_PROGRESS_INTERVAL_S, 0.01, 3600),
        ("JOST_TIME_LIMIT_BASE_S", JOST_TIME_LIMIT_BASE_S, 1, 10**7),
        ("JOST_TIME_LIMIT_MIN_ROUNDS_PER_S", JOST_TIME_LIMIT_MIN_ROUNDS_PER_S, 1, 10**12),
        ("JOST_LOGIN_WINDOW_S", JOST_LOGIN_WINDOW_S, 1, 86_400),
        ("JOST_LOGIN_FAILURES_PER_ACCOUNT", JOST_LOGIN_FAILURES_PER_ACCOUNT, 1, 10**6),
        ("JOST_LOGIN_FAILURES_PER_ADDRESS", JOST_LOGIN_FAILURES_PER_ADDRESS, 1, 10**6),
        ("JOST_LOGIN_CONCURRENCY", JOST_LOGIN_CONCURRENCY, 1, 256),
        ("JOST_LOGIN_WAIT_S", JOST_LOGIN_WAIT_S, 0, 60),
        ("JOST_HEADER_TIMEOUT_S", JOST_HEADER_TIMEOUT_S, 0.5, 600),
        ("JOST_HSTS_SECONDS", JOST_HSTS_SECONDS, 0, 10**9),
        ("JOST_DB_POOL", _env_number("JOST_DB_POOL", 0), 0, 1000),
        ("JOST_HEARTBEAT_S", JOST_HEARTBEAT_S, 0, 86_400),
        ("JOST_STALE_AFTER_S", JOST_STALE_AFTER_S, 0, 10**7),
        ("JOST_REAPER_INTERVAL_S", JOST_REAPER_INTERVAL_S, 0, 86_400),
        ("JOST_PENDING_REDISPATCH_S", JOST_PENDING_REDISPATCH_S, 0, 10**7),
        ("JOST_PENDING_BACKSTOP_S", JOST_PENDING_BACKSTOP_S, 0, 10**7),
        ("JOST_REAPER_LATE_S", JOST_REAPER_LATE_S, 0, 10**7),
        ("JOST_MAX_ATTEMPTS", JOST_MAX_ATTEMPTS, 1, 1000),
        ("JOST_STUDY_MAX_POINTS", JOST_STUDY_MAX_POINTS, 1, 100_000),
        ("JOST_STUDY_MAX_ROUNDS", JOST_STUDY_MAX_ROUNDS, 1, 10**15),
        ("JOST_STUDY_MAX_ACTIVE", JOST_STUDY_MAX_ACTIVE, 1, 10_000),
        ("JOST_STUDY_WINDOW", JOST_STUDY_WINDOW, 1, 10_000),
    )
    problems = [
        f"{name} must be between {low:g} and {high:g}, got {value!r}"
        for name, value, low, high in ranges
        if not (math.isfinite(value) and low <= value <= high)
    ]
    for name in ("JOST_THROTTLE_ANON", "JOST_THROTTLE_USER", "JOST_THROTTLE_SUBMIT"):
        rate = _env_str(name)
        count, _, period = rate.partition("/")
        if rate and not (count.isdigit() and period[:1] in {"s", "m", "h", "d"}):
            problems.append(
                f"{name} must be like 300/minute (N/second|minute|hour|day), got {rate!r}"
            )
    for item in JOST_TRUSTED_PROXIES:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            problems.append(f"JOST_TRUSTED_PROXIES: {item!r} is not an IP address or network")
    if problems:
        raise ImproperlyConfiguredEnv("; ".join(problems))


_check_limits()
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
    # The browsable docs work offline and behind a Content-Security-Policy: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "PREPROCESSING_HOOKS": ["service.api.schema.only_canonical_paths"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "service.api.schema.add_config_schema",
        "service.api.schema.add_error_responses",
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
