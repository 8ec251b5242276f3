"""Settings come from the environment; each case runs in a fresh interpreter."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "d = s.DATABASES['default']; "
    "print(json.dumps({'engine': d['ENGINE'], 'name': str(d['NAME']), 'host': d.get('HOST', ''), "
    "'port': str(d.get('PORT', '')), 'user': d.get('USER', ''), 'debug': s.DEBUG, "
    "'redis': s.CELERY_BROKER_URL}))"
)


def run_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))
    }
    # Explicit empty values win over the developer's .env file (read without overwriting).
    base = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": "",
        "DATABASE_URL": "",
        "DJANGO_DEBUG": "0",
        "REDIS_URL": "",
    }
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**clean, **base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off() -> None:
    result = run_settings(DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_it_starts_on_a_laptop_with_debug_on_and_no_secret() -> None:
    result = run_settings(DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["debug"] is True


def test_it_uses_sqlite_when_database_url_is_unset() -> None:
    result = run_settings(DJANGO_SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr
    db = json.loads(result.stdout)
    assert db["engine"] == "django.db.backends.sqlite3"
    assert db["name"].endswith("db.sqlite3")


def test_it_uses_postgres_from_database_url() -> None:
    result = run_settings(
        DJANGO_SECRET_KEY="x" * 50, DATABASE_URL="postgres://learn:pw@db.example:6543/breakfix"
    )
    assert result.returncode == 0, result.stderr
    db = json.loads(result.stdout)
    assert db["engine"] == "django.db.backends.postgresql"
    assert (db["name"], db["host"], db["port"], db["user"]) == ("breakfix", "db.example", "6543", "learn")


def test_it_reads_the_broker_from_redis_url() -> None:
    result = run_settings(DJANGO_SECRET_KEY="x" * 50, REDIS_URL="redis://cache.example:6380/2")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["redis"] == "redis://cache.example:6380/2"


def test_env_example_lists_every_variable_the_settings_read() -> None:
    settings_text = (ROOT / "config" / "settings.py").read_text()
    example = (ROOT / ".env.example").read_text()
    import re

    read = set(re.findall(r'env\.\w+\(\s*"([A-Z0-9_]+)"', settings_text))
    assert read, "the settings read no variable?"
    missing = sorted(name for name in read if f"{name}=" not in example)
    assert not missing, f".env.example lacks {missing}"


HARDENING_PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'proxy': list(getattr(s, 'SECURE_PROXY_SSL_HEADER', None) or []), "
    "'redirect': s.SECURE_SSL_REDIRECT, 'hsts': s.SECURE_HSTS_SECONDS, 'admin': s.ADMIN_PATH, "
    "'cache': s.CACHES['default']['BACKEND'], 'cache_url': s.CACHES['default']['LOCATION']}))"
)


def run_hardening(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "BREAKFIX_CACHE"))}
    base = {"DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_SECRET_KEY": "x" * 50, "DJANGO_DEBUG": "0"}
    return subprocess.run(
        [sys.executable, "-c", HARDENING_PROBE],
        cwd=ROOT,
        env={**clean, **base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_https_hardening_is_off_unless_configured() -> None:
    result = run_hardening()
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert (values["proxy"], values["redirect"], values["hsts"]) == ([], False, 0)
    assert values["admin"] == "admin/"


def test_https_hardening_comes_from_the_environment() -> None:
    result = run_hardening(
        DJANGO_PROXY_SSL_HEADER="X-Forwarded-Proto",
        DJANGO_SSL_REDIRECT="1",
        DJANGO_HSTS_SECONDS="31536000",
        DJANGO_ADMIN_PATH="/staff-only-7f3a/",
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["proxy"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert (values["redirect"], values["hsts"], values["admin"]) == (True, 31536000, "staff-only-7f3a/")


def test_it_refuses_an_admin_path_that_is_not_a_plain_path() -> None:
    result = run_hardening(DJANGO_ADMIN_PATH="admin/<script>")
    assert result.returncode != 0
    assert "DJANGO_ADMIN_PATH" in result.stderr


def test_the_cache_every_web_process_shares_is_redis_apart_from_the_broker() -> None:
    result = run_hardening(REDIS_URL="redis://broker.example:6379/0")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert values["cache_url"].endswith("/1")


def test_a_pool_bounds_a_web_processs_postgresql_connections() -> None:
    from urllib.parse import urlsplit, urlunsplit

    from tests.fixtures.cluster import require_real

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        require_real("PostgreSQL", "DATABASE_URL names no PostgreSQL (platform/scripts/test starts one)")
    server = urlunsplit(urlsplit(url)._replace(path="/postgres"))  # the server's own database: no test data
    probe = (
        "import django; django.setup(); from django.db import connection; "
        "connection.ensure_connection(); print(connection.pool.max_size, connection.pool.min_size)"
    )
    env = {**os.environ, "DATABASE_URL": server, "DJANGO_DEBUG": "1", "BREAKFIX_DB_POOL_SIZE": "7"}
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["7", "1"]
