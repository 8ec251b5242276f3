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
