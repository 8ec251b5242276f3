"""Breakfix settings, read from the environment (and from a `.env` file at the top, when present).

Every variable is listed in `.env.example`. Defaults run on a laptop: SQLite, Redis on localhost,
the local control plane's kubeconfig. Production (DJANGO_DEBUG off) refuses to start without a
secret key.
"""

import os
import re
import warnings
from pathlib import Path
from typing import Any

import django_stubs_ext
import environ
from django.core.exceptions import ImproperlyConfigured

django_stubs_ext.monkeypatch()  # lets admin.ModelAdmin[Model] and friends run

BASE_DIR = Path(__file__).resolve().parent.parent
PLATFORM_DIR = BASE_DIR / "platform"
# The same cache folder the platform scripts use (control-plane binaries, local clusters).
CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "breakfix"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False, parse_comments=True)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it (see .env.example), or set DJANGO_DEBUG=1 on a laptop."
        )
    SECRET_KEY = "django-insecure-breakfix-development-only"

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_ratelimit",
    "challenges",
    "classroom",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A view over its rate limit raises Ratelimited; this turns it into RATELIMIT_VIEW's 429.
    "django_ratelimit.middleware.RatelimitMiddleware",
]

# Served through ASGI (uvicorn): WhiteNoise's static files and the CSV exports stream from sync
# iterators, which Django's ASGI handler reads in a thread, as it should, with a warning each time.
warnings.filterwarnings(
    "ignore",
    message="StreamingHttpResponse must consume synchronous iterators",
    module="django.core.handlers.asgi",
)

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PLATFORM_DIR / "templates"],
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

DATABASES = {
    "default": environ.Env.db_url_config(
        env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Workers and the web server write concurrently; wait for the lock instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    # A file, not memory, so that Celery workers started by the tests see the test database.
    DATABASES["default"]["TEST"] = {
        "NAME": env.str("BREAKFIX_TEST_SQLITE", default="") or str(BASE_DIR / "test-db.sqlite3")
    }
# Under ASGI each concurrent request to a sync view runs in a thread of its own, so a burst of
# requests opens as many PostgreSQL connections at once (a WSGI server's threads used to cap
# them). A pool per process bounds them: requests beyond it wait their turn for a connection.
# Compose's web service sets it; 0 (the default: make run, the tests) opens one per request.
_pool_size = env.int("BREAKFIX_DB_POOL_SIZE", default=0)
if _pool_size > 0 and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": _pool_size,
        "timeout": 30,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "catalog"
LOGOUT_REDIRECT_URL = "catalog"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [PLATFORM_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# --- behind a TLS-terminating proxy ---------------------------------------------------------------
# All off by default (`make run` serves plain HTTP on loopback). In production set
# DJANGO_PROXY_SSL_HEADER to the header your proxy sets (e.g. X-Forwarded-Proto) and turn the rest on.
_proxy_ssl_header = env.str("DJANGO_PROXY_SSL_HEADER", default="")
if _proxy_ssl_header:
    # Django trusts this header to mean "the browser used HTTPS": only set it when the proxy always
    # overwrites it, or a client could claim HTTPS on a plain connection.
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SSL_REDIRECT", default=False)
# Probes ask over plain HTTP, from inside: never redirect them.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The admin's address: an unguessable one keeps password sprayers off it (it still needs staff).
ADMIN_PATH = env.str("DJANGO_ADMIN_PATH", default="admin/").strip("/") + "/"
if not re.fullmatch(r"[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*/", ADMIN_PATH):
    raise ImproperlyConfigured(
        f"DJANGO_ADMIN_PATH={ADMIN_PATH!r} must be a URL path of letters, digits, '-' and '_'."
    )

# One format for web and the Celery workers (config/celery.py hands the workers this same
# configuration): each line ends with ` attempt=<id>` while it is about an attempt (a task working
# on it, a request to one of its pages; challenges/logcontext.py), so that `grep attempt=42`
# follows one learner's environment through every process.
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"attempt": {"()": "challenges.logcontext.AttemptLogFilter"}},
    "formatters": {
        "breakfix": {
            "format": "[%(asctime)s: %(levelname)s/%(processName)s] %(name)s: %(message)s%(attempt)s",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "breakfix", "filters": ["attempt"]}
    },
    "root": {"handlers": ["console"], "level": env.str("BREAKFIX_LOG_LEVEL", default="INFO")},
    "loggers": {
        "kubernetes": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},  # one line per console command otherwise
        "httpcore": {"level": "WARNING"},
    },
}

# --- Celery -------------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL

# --- the shared cache ---------------------------------------------------------------------------
# One cache for every web process, on the Redis the project already runs: the console's
# one-command-at-a-time lock, the rate limits and the classroom join throttle must count across
# processes (and survive a restart of one), which a per-process memory cache cannot do. Its own
# database number, so clearing the cache never touches Celery's queues.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env.str("BREAKFIX_CACHE_URL", default="redis://127.0.0.1:6379/1"),
        "KEY_PREFIX": env.str("BREAKFIX_CACHE_PREFIX", default="breakfix"),
        "TIMEOUT": 300,
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}
# django-ratelimit counts in that cache. Behind a proxy, the client's address is in a header the
# proxy sets; unset, REMOTE_ADDR (the proxy itself would then be one client for everyone).
RATELIMIT_USE_CACHE = "default"
# django-ratelimit names django-redis as its supported Redis cache; Django's own RedisCache gives
# it what it needs as well (an atomic add and incr), which tests/live/test_fair_use_processes.py
# shows across processes.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
RATELIMIT_VIEW = "challenges.views.accounts.rate_limited"
_client_ip_header = env.str("BREAKFIX_CLIENT_IP_HEADER", default="")
if _client_ip_header:
    RATELIMIT_IP_META_KEY = "HTTP_" + _client_ip_header.upper().replace("-", "_")
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# The queue every task goes to and workers read. Installations sharing one Redis need their own
# (the tests give each test one, so a developer's worker never picks up a test's messages).
CELERY_TASK_DEFAULT_QUEUE = env.str("BREAKFIX_QUEUE", default="celery")
CELERY_TASK_ACKS_LATE = True
# A task whose worker process dies (an OOM kill, a crash) goes back to the queue at once, instead
# of waiting out the visibility timeout; its claim (challenges/services/provisioning.py) lets that
# second delivery carry on. Every task is idempotent, so a message delivered twice does no harm.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis hands an unacknowledged message to another worker after the visibility timeout. It must
# exceed the longest a task may run (provisioning: 600 s, its time limit), or a message still being
# worked on would be handed out again; it is not what notices a dead worker: the sweep does, from
# the leases in the database, within BREAKFIX_TASK_LEASE_SECONDS + BREAKFIX_SWEEP_SECONDS.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 900, "socket_connect_timeout": 2}
# Sending a task with the broker down: a few quick tries, then the caller goes on (the work is
# in the database, the sweep sends it later), so a learner's request never hangs on Redis.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# When Redis goes away mid-task, let the task finish: its results land in the database, and its
# message, unacknowledged, is handed out again (the claim makes that second delivery a no-op).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_TASK_TIME_LIMIT = 300
CELERY_BEAT_SCHEDULE = {
    "sweep": {
        "task": "challenges.tasks.sweep",
        "schedule": env.float("BREAKFIX_SWEEP_SECONDS", default=10.0),
    },
    "reap": {"task": "challenges.tasks.reap", "schedule": env.float("BREAKFIX_REAP_SECONDS", default=60.0)},
    "pool-refill": {
        "task": "challenges.tasks.pool_refill",
        "schedule": env.float("BREAKFIX_SWEEP_SECONDS", default=10.0),
    },
    # Registered clusters (challenges.capacity): one that stops answering gets no new environments.
    "probe-clusters": {
        "task": "challenges.tasks.probe_clusters",
        "schedule": env.float("BREAKFIX_CLUSTER_PROBE_SECONDS", default=15.0),
    },
    # The assessments' sittings whose time is up: checked, ended and scored.
    "close-sittings": {
        "task": "classroom.tasks.close_sittings",
        "schedule": env.float("BREAKFIX_SWEEP_SECONDS", default=10.0),
    },
}

# --- Breakfix -----------------------------------------------------------------------------------
BREAKFIX_CONTENT_DIR = Path(
    env.str("BREAKFIX_CONTENT_DIR", default="") or BASE_DIR / "challenges" / "content"
)
# Which cluster backend provisions environments: "namespace" (a namespace per attempt on the
# cluster of BREAKFIX_KUBECONFIG) or "kind" (a kind cluster per attempt).
BREAKFIX_BACKEND = env.str("BREAKFIX_BACKEND", default="namespace")
BREAKFIX_KUBECONFIG = env.str("BREAKFIX_KUBECONFIG", default="") or str(
    CACHE_DIR / "clusters" / "breakfix" / "kubeconfig"
)
BREAKFIX_KUBECTL = env.str("BREAKFIX_KUBECTL", default="kubectl")
BREAKFIX_KIND = env.str("BREAKFIX_KIND", default="kind")
BREAKFIX_KIND_PREFIX = env.str("BREAKFIX_KIND_PREFIX", default="breakfix")
BREAKFIX_KIND_INTERNAL = env.bool("BREAKFIX_KIND_INTERNAL", default=False)
# The Docker host the kind clusters live on (challenges/backends/kindhost.py): one per
# installation, and a kind worker on another host refuses to start. Unset: the name Docker gives
# its host (`docker info`), else this machine's hostname. The claim lapses this long after the
# host's last worker stopped.
BREAKFIX_KIND_HOST = env.str("BREAKFIX_KIND_HOST", default="")
BREAKFIX_KIND_HOST_TTL_SECONDS = env.int("BREAKFIX_KIND_HOST_TTL_SECONDS", default=60)
# Seconds `kind create cluster --wait` may take before provisioning gives up on it.
BREAKFIX_KIND_WAIT_SECONDS = env.int("BREAKFIX_KIND_WAIT_SECONDS", default=180)
# Name prefix (and label) of the namespaces the namespace backend owns: reap only ever removes
# environments carrying it, so two installations can share one cluster under different prefixes.
BREAKFIX_ENVIRONMENT_PREFIX = env.str("BREAKFIX_ENVIRONMENT_PREFIX", default="breakfix")
# A namespace still terminating after this long is torn down again by reap, every finalizer
# released: nothing may keep an environment's namespace alive.
BREAKFIX_TERMINATING_RETRY_SECONDS = env.float("BREAKFIX_TERMINATING_RETRY_SECONDS", default=60.0)
# Delivery (challenges/services/leases.py): a worker renews its claim on the work it does every
# quarter of the lease; a claim not renewed for a lease is work whose worker died, which the sweep
# sends again. A task just sent must be taken within the queue wait, or it is sent again.
BREAKFIX_TASK_LEASE_SECONDS = env.int("BREAKFIX_TASK_LEASE_SECONDS", default=20)
BREAKFIX_QUEUE_WAIT_SECONDS = env.int("BREAKFIX_QUEUE_WAIT_SECONDS", default=30)
# How often a task retries a cluster that does not answer (2, 4, … 60 s apart: two minutes for 6).
BREAKFIX_TASK_RETRIES = env.int("BREAKFIX_TASK_RETRIES", default=6)
# An attempt still provisioning this long after a worker first took it (a worker alive but hung)
# is failed by reap. Above the provision task's time limit (600 s): kind clusters take minutes.
BREAKFIX_PROVISION_DEADLINE_SECONDS = env.int("BREAKFIX_PROVISION_DEADLINE_SECONDS", default=900)
# Fernet key that encrypts learner kubeconfigs at rest. Derived from the secret key when unset.
BREAKFIX_ENCRYPTION_KEY = env.str("BREAKFIX_ENCRYPTION_KEY", default="")
BREAKFIX_MAX_ACTIVE_PER_LEARNER = env.int("BREAKFIX_MAX_ACTIVE_PER_LEARNER", default=1)
BREAKFIX_CAPACITY = env.int("BREAKFIX_CAPACITY", default=20)
BREAKFIX_TTL_MINUTES = env.int("BREAKFIX_TTL_MINUTES", default=60)
# The warm pool (challenges/services/pool.py): environments kept ready per challenge (each
# challenge may set its own in the admin, and a schedule may raise it), recycled at this age.
BREAKFIX_POOL_SIZE = env.int("BREAKFIX_POOL_SIZE", default=0)
BREAKFIX_POOL_MAX_AGE_MINUTES = env.int("BREAKFIX_POOL_MAX_AGE_MINUTES", default=120)
BREAKFIX_EXTEND_MINUTES = env.int("BREAKFIX_EXTEND_MINUTES", default=30)
BREAKFIX_MAX_TTL_MINUTES = env.int("BREAKFIX_MAX_TTL_MINUTES", default=180)
BREAKFIX_SOLVED_GRACE_SECONDS = env.int("BREAKFIX_SOLVED_GRACE_SECONDS", default=120)
BREAKFIX_CHECK_INTERVAL_SECONDS = env.int("BREAKFIX_CHECK_INTERVAL_SECONDS", default=5)
BREAKFIX_CONSOLE_TIMEOUT_SECONDS = env.int("BREAKFIX_CONSOLE_TIMEOUT_SECONDS", default=15)
# In the page's terminal a command that watches (`get -w`, `logs -f`, `rollout status`, `wait`)
# streams for this long at most; the plain form post keeps BREAKFIX_CONSOLE_TIMEOUT_SECONDS.
BREAKFIX_CONSOLE_WATCH_SECONDS = env.int("BREAKFIX_CONSOLE_WATCH_SECONDS", default=120)
BREAKFIX_CONSOLE_OUTPUT_LIMIT = env.int("BREAKFIX_CONSOLE_OUTPUT_LIMIT", default=64_000)
# Fair use, counted in the shared cache: console commands per learner, log-ins per client address
# and per user name, sign-ups per client address (django-ratelimit rates: N/s, N/m, N/h).
BREAKFIX_CONSOLE_RATE = env.str("BREAKFIX_CONSOLE_RATE", default="30/m")
# Tab completions per learner: one kubectl `__complete` each (when not answered from the cache).
BREAKFIX_CONSOLE_COMPLETE_RATE = env.str("BREAKFIX_CONSOLE_COMPLETE_RATE", default="120/m")
BREAKFIX_LOGIN_RATE = env.str("BREAKFIX_LOGIN_RATE", default="10/m")
BREAKFIX_SIGNUP_RATE = env.str("BREAKFIX_SIGNUP_RATE", default="10/h")
# The console runner (challenges.console.runnerd) runs every console command, sandboxed, in a
# process that holds no platform secret. Where the web app reaches it: a Unix socket in a
# private directory (`make run`, the tests) or http://console:8765 on compose's private network.
BREAKFIX_CONSOLE_RUNNER = env.str("BREAKFIX_CONSOLE_RUNNER", default="") or (
    f"unix://{CACHE_DIR / 'console' / 'runner.sock'}"
)
# Shared by the web app and the runner; the runner refuses every request without it.
BREAKFIX_CONSOLE_TOKEN = env.str("BREAKFIX_CONSOLE_TOKEN", default="")
# Read by the runner (passed to it by `make run` and compose): bwrap (bubblewrap; `make run`, the
# tests, CI) or container (the runner's own container is the sandbox; compose).
BREAKFIX_CONSOLE_SANDBOX = env.str("BREAKFIX_CONSOLE_SANDBOX", default="bwrap")
if BREAKFIX_CONSOLE_SANDBOX not in ("bwrap", "container"):
    raise ImproperlyConfigured("BREAKFIX_CONSOLE_SANDBOX must be bwrap or container.")
# kubectl processes one runner runs at once; beyond it a command gets "the console is busy".
BREAKFIX_CONSOLE_MAX_PROCESSES = env.int("BREAKFIX_CONSOLE_MAX_PROCESSES", default=16)
# Learners' kubeconfig download: "auto" offers it, with a note when the API server's address is
# loopback or internal; "on" offers it plainly; "off" never (the console is the only way in).
BREAKFIX_KUBECONFIG_DOWNLOAD = env.str("BREAKFIX_KUBECONFIG_DOWNLOAD", default="auto")
if BREAKFIX_KUBECONFIG_DOWNLOAD not in ("auto", "on", "off"):
    raise ImproperlyConfigured("BREAKFIX_KUBECONFIG_DOWNLOAD must be auto, on or off.")
# Sections the apps built on challenges add to the profile page: dotted paths to callables that
# take the request and return the section's HTML. Named here so challenges never imports them.
BREAKFIX_PROFILE_SECTIONS = ["classroom.views.profile.profile_classrooms"]
# What the workspace shows beside the challenge from the apps above challenges: each a callable
# of the attempt giving [{"id", "text", "source", "personal", "at"}] (an instructor's notices).
BREAKFIX_WORKSPACE_NOTICES = ["classroom.notices.workspace_notices"]
# Who may not start a challenge from the catalog right now: each a callable of (learner,
# challenge) giving the reason, or "" (a learner in an assessment opens only its challenges).
BREAKFIX_START_RULES = ["classroom.assessments.services.start_refusal"]
# The bearer token Prometheus sends to /metrics (config/metrics.py). Unset, /metrics is a 404:
# nothing about the installation is exposed unless an operator asks for it.
BREAKFIX_METRICS_TOKEN = env.str("BREAKFIX_METRICS_TOKEN", default="")
