"""`platform/` holds templates and scripts; as a Python package it would shadow the standard library."""

import importlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_platform_folder_is_not_a_python_package() -> None:
    assert (ROOT / "platform").is_dir()
    assert not (ROOT / "platform" / "__init__.py").exists(), "platform/__init__.py shadows the stdlib module"
    assert not (ROOT / "platform.py").exists(), "platform.py shadows the stdlib module"


def test_platform_import_is_the_standard_library() -> None:
    module = importlib.import_module("platform")
    assert module.__file__ is not None
    assert not Path(module.__file__).resolve().is_relative_to(ROOT), "`platform` resolved inside the repo"
    assert hasattr(module, "python_version"), "`import platform` must be the standard library module"


def test_required_top_level_exists() -> None:
    for name in (
        "manage.py",
        "platform",
        "challenges",
        "validators",
        "classroom",
        "config",
        "docker-compose.yml",
        "tests",
        "README.md",
        "uv.lock",
        ".env.example",
    ):
        assert (ROOT / name).exists(), f"{name} is part of the required layout"
