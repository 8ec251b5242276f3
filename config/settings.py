"""Breakfix settings, read from the environment (and from a `.env` file at the top, when present).

Every variable is listed in `.env.example`. Defaults run on a laptop: SQLite, Redis on localhost,
the local control plane's kubeconfig. Production (DJANGO_DEBUG off) refuses to start without a
secret key.
"""

import os
from pathlib import Path

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
]

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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("BREAKFIX_LOG_LEVEL", default="INFO")},
    "loggers": {"kubernetes": {"level": "WARNING"}, "urllib3": {"level": "WARNING"}},
}

# --- Celery -------------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# The queue every task goes to and workers read. Installations sharing one Redis need their own
# (the tests give each test one, so a developer's worker never picks up a test's messages).
CELERY_TASK_DEFAULT_QUEUE = env.str("BREAKFIX_QUEUE", default="celery")
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Tasks time out long before Redis redelivers an unacknowledged message (one hour).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_TIME_LIMIT = 300
CELERY_BEAT_SCHEDULE = {
    "reap": {"task": "challenges.tasks.reap", "schedule": env.float("BREAKFIX_REAP_SECONDS", default=60.0)},
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
# Seconds `kind create cluster --wait` may take before provisioning gives up on it.
BREAKFIX_KIND_WAIT_SECONDS = env.int("BREAKFIX_KIND_WAIT_SECONDS", default=180)
# Name prefix (and label) of the namespaces the namespace backend owns: reap only ever removes
# environments carrying it, so two installations can share one cluster under different prefixes.
BREAKFIX_ENVIRONMENT_PREFIX = env.str("BREAKFIX_ENVIRONMENT_PREFIX", default="breakfix")
# A namespace still terminating after this long is torn down again by reap, every finalizer
# released: nothing may keep an environment's namespace alive.
BREAKFIX_TERMINATING_RETRY_SECONDS = env.float("BREAKFIX_TERMINATING_RETRY_SECONDS", default=60.0)
# An attempt still requested or provisioning after this long is failed and cleaned up by reap.
BREAKFIX_PROVISION_DEADLINE_SECONDS = env.int("BREAKFIX_PROVISION_DEADLINE_SECONDS", default=900)
# Fernet key that encrypts learner kubeconfigs at rest. Derived from the secret key when unset.
BREAKFIX_ENCRYPTION_KEY = env.str("BREAKFIX_ENCRYPTION_KEY", default="")
BREAKFIX_MAX_ACTIVE_PER_LEARNER = env.int("BREAKFIX_MAX_ACTIVE_PER_LEARNER", default=1)
BREAKFIX_CAPACITY = env.int("BREAKFIX_CAPACITY", default=20)
BREAKFIX_TTL_MINUTES = env.int("BREAKFIX_TTL_MINUTES", default=60)
BREAKFIX_EXTEND_MINUTES = env.int("BREAKFIX_EXTEND_MINUTES", default=30)
BREAKFIX_MAX_TTL_MINUTES = env.int("BREAKFIX_MAX_TTL_MINUTES", default=180)
BREAKFIX_SOLVED_GRACE_SECONDS = env.int("BREAKFIX_SOLVED_GRACE_SECONDS", default=120)
BREAKFIX_CHECK_INTERVAL_SECONDS = env.int("BREAKFIX_CHECK_INTERVAL_SECONDS", default=5)
BREAKFIX_CONSOLE_TIMEOUT_SECONDS = env.int("BREAKFIX_CONSOLE_TIMEOUT_SECONDS", default=15)
BREAKFIX_CONSOLE_OUTPUT_LIMIT = env.int("BREAKFIX_CONSOLE_OUTPUT_LIMIT", default=64_000)
# Learners' kubeconfig download: "auto" offers it, with a note when the API server's address is
# loopback or internal; "on" offers it plainly; "off" never (the console is the only way in).
BREAKFIX_KUBECONFIG_DOWNLOAD = env.str("BREAKFIX_KUBECONFIG_DOWNLOAD", default="auto")
if BREAKFIX_KUBECONFIG_DOWNLOAD not in ("auto", "on", "off"):
    raise ImproperlyConfigured("BREAKFIX_KUBECONFIG_DOWNLOAD must be auto, on or off.")
