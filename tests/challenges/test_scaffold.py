"""`challenge new` writes a folder that lints clean (and nothing when it refuses); `challenge schema`
is the committed JSON Schema, and every challenge of the catalog is valid against it."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import jsonschema
import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command

from challenges.loader import LoadedChallenge, load_folder
from challenges.scaffold import SCHEMA_FILE, challenge_schema, schema_text
from challenges.services import authoring


def new(content: Path, *args: str) -> str:
    out = StringIO()
    call_command("challenge", "--content-dir", str(content), "new", *args, stdout=out, stderr=out)
    return out.getvalue()


def test_a_new_challenge_lints_clean_with_what_it_was_given(tmp_path: Path) -> None:
    out = new(tmp_path, "my-first", "--theme", "networking", "--difficulty", "hard", "--type", "build")
    assert "1 challenge(s) lint clean" in out
    loaded = load_folder(tmp_path / "my-first")
    assert isinstance(loaded, LoadedChallenge), loaded
    assert authoring.challenge_lint(challenge=loaded) == []
    spec = loaded.spec
    assert (spec.title, spec.theme, spec.difficulty, spec.type) == ("My first", "networking", "hard", "build")
    assert len(spec.hints) >= 3
    assert {
        p.relative_to(tmp_path / "my-first").as_posix() for p in (tmp_path / "my-first").rglob("*.yaml")
    } == {
        "challenge.yaml",
        "manifests/01-deployment.yaml",
        "guards/keep-web-image.yaml",
        "solution/deployment.yaml",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Not_A_Slug"], "'Not_A_Slug' is not a challenge name"),
        (["wrong-selector"], "exists already"),
        (["short", "--title", " x "], "the title needs at least 3 characters"),
    ],
    ids=["a bad name", "a name taken", "a title too short"],
)
def test_a_refused_new_challenge_says_why_and_writes_nothing(
    tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "wrong-selector").mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(CommandError, match=message):
        new(tmp_path, *args)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_the_committed_schema_is_the_generated_one() -> None:
    committed = Path(settings.BREAKFIX_CONTENT_DIR) / SCHEMA_FILE
    assert committed.read_text(encoding="utf-8") == schema_text(), (
        "challenge.schema.json is out of date: `python manage.py challenge schema --write`"
    )


def test_every_challenge_of_the_catalog_is_valid_against_the_schema() -> None:
    validator = jsonschema.Draft202012Validator(challenge_schema())
    files = sorted(Path(settings.BREAKFIX_CONTENT_DIR).glob("*/challenge.yaml"))
    assert len(files) >= 24
    for path in files:
        errors = [e.message for e in validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8")))]
        assert errors == [], (path, errors)


def test_the_schema_refuses_what_the_loader_refuses() -> None:
    validator = jsonschema.Draft202012Validator(challenge_schema())
    document = yaml.safe_load(
        (Path(settings.BREAKFIX_CONTENT_DIR) / "wrong-selector/challenge.yaml").read_text()
    )
    assert not list(validator.iter_errors(document))
    for broken in (
        {**document, "theme": "cooking"},
        {**document, "estimatedMinutes": 0},
        {**document, "unknownField": 1},
        {k: v for k, v in document.items() if k != "objectives"},
    ):
        assert list(validator.iter_errors(broken)), broken
