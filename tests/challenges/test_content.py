"""The challenge content format: the launch challenges load, bad content is named and changes nothing."""

import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from challenges.loader import ContentError, load_all
from challenges.models import Challenge, ChallengeVersion

CONTENT = Path(settings.BREAKFIX_CONTENT_DIR)
LAUNCH = {"expose-internally", "wrong-selector", "partial-outage"}


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A writable copy of the shipped content."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target


def sync(content_dir: Path) -> str:
    out = StringIO()
    call_command("sync_challenges", content_dir=content_dir, stdout=out)
    return out.getvalue()


def test_the_launch_challenges_load() -> None:
    loaded = {item.slug: item for item in load_all(CONTENT)}
    assert set(loaded) >= LAUNCH
    for item in loaded.values():
        assert item.definition["manifests"], f"{item.slug} has no manifests"
        assert item.definition["solution"], f"{item.slug} has no solution"
        assert len(item.content_hash) == 64


def test_no_manifest_comment_gives_the_fix_away() -> None:
    for folder in sorted(p for p in CONTENT.iterdir() if (p / "challenge.yaml").is_file()):
        for path in (folder / "manifests").glob("*.yaml"):
            text = path.read_text().lower()
            assert "#" not in text, f"{path} carries a comment; manifests must not hint at the fix"


@pytest.mark.django_db
def test_sync_twice_reports_no_change_the_second_time(content: Path) -> None:
    first = sync(content)
    assert "created: wrong-selector" in first
    versions = ChallengeVersion.objects.count()
    second = sync(content)
    count = sum(1 for folder in content.iterdir() if (folder / "challenge.yaml").is_file())
    assert second.startswith(f"no change: {count} challenge(s) up to date")
    assert ChallengeVersion.objects.count() == versions


@pytest.mark.django_db
def test_a_content_change_makes_a_new_version_and_keeps_the_old(content: Path) -> None:
    sync(content)
    old_hash = Challenge.objects.get(slug="wrong-selector").content_hash
    path = content / "wrong-selector" / "challenge.yaml"
    path.write_text(path.read_text().replace("estimatedMinutes: 10", "estimatedMinutes: 12"))
    assert "updated: wrong-selector" in sync(content)
    challenge = Challenge.objects.get(slug="wrong-selector")
    assert challenge.estimated_minutes == 12
    assert challenge.content_hash != old_hash
    assert set(challenge.versions.values_list("content_hash", flat=True)) == {
        old_hash,
        challenge.content_hash,
    }


@pytest.mark.django_db
def test_a_removed_folder_leaves_the_catalog_but_keeps_its_rows(content: Path) -> None:
    sync(content)
    shutil.rmtree(content / "expose-internally")
    assert "unpublished: expose-internally" in sync(content)
    assert not Challenge.objects.get(slug="expose-internally").published


BROKEN = [
    # (what to break, file, old text, new text, expected fragments of the error)
    (
        "invalid YAML",
        "wrong-selector/challenge.yaml",
        "difficulty: easy",
        "difficulty: [easy",
        ["wrong-selector/challenge.yaml:", "invalid YAML"],
    ),
    (
        "unknown objective type",
        "wrong-selector/challenge.yaml",
        "type: service",
        "type: telepathy",
        ["wrong-selector/challenge.yaml:22:", "objectives[0].type", "unknown objective type 'telepathy'"],
    ),
    (
        "missing field",
        "expose-internally/challenge.yaml",
        "estimatedMinutes: 10\n",
        "",
        ["expose-internally/challenge.yaml", "estimatedMinutes", "Field required"],
    ),
    (
        "bad difficulty",
        "expose-internally/challenge.yaml",
        "difficulty: easy",
        "difficulty: trivial",
        ["expose-internally/challenge.yaml:3", "difficulty"],
    ),
    (
        "manifest without kind",
        "wrong-selector/manifests/02-service.yaml",
        "kind: Service\n",
        "",
        ["wrong-selector/manifests/02-service.yaml", "missing kind"],
    ),
    (
        "manifest with a namespace",
        "wrong-selector/manifests/02-service.yaml",
        "  name: frontend\n",
        "  name: frontend\n  namespace: default\n",
        ["02-service.yaml:5", "metadata.namespace"],
    ),
    (
        "a solution action outside solution/",
        "wrong-selector/manifests/02-service.yaml",
        "  name: frontend\n",
        "  name: frontend\n  annotations:\n    breakfix.dev/solution: delete\n",
        ["02-service.yaml:", "breakfix.dev/solution belongs on objects of solution/ only"],
    ),
    (
        "an unknown solution action",
        "wrong-selector/solution/service.yaml",
        "  name: frontend\n",
        "  name: frontend\n  annotations:\n    breakfix.dev/solution: patch\n",
        [
            "solution/service.yaml:",
            "breakfix.dev/solution may only be 'delete' (the fix deletes this object) or 'replace'",
        ],
    ),
    (
        "bad objective spec",
        "wrong-selector/challenge.yaml",
        "name: frontend\n      type: ClusterIP",
        "nam: frontend\n      type: ClusterIP",
        ["wrong-selector/challenge.yaml", "objectives[0]", "service"],
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("label", "file", "old", "new", "expected"), BROKEN, ids=[b[0] for b in BROKEN])
def test_it_rejects_broken_content_naming_file_line_and_field(
    content: Path, label: str, file: str, old: str, new: str, expected: list[str]
) -> None:
    sync(content)
    before = list(Challenge.objects.order_by("slug").values())
    versions = ChallengeVersion.objects.count()
    path = content / file
    assert old in path.read_text(), f"test setup: {old!r} not in {file}"
    path.write_text(path.read_text().replace(old, new, 1))
    # Another folder changes too: a failed sync must not land that change either.
    other = content / "partial-outage" / "challenge.yaml"
    other.write_text(other.read_text().replace("estimatedMinutes: 20", "estimatedMinutes: 25"))

    with pytest.raises(CommandError) as raised:
        sync(content)

    message = str(raised.value)
    assert "nothing was changed" in message
    for fragment in expected:
        assert fragment in message, f"{fragment!r} missing from:\n{message}"
    assert list(Challenge.objects.order_by("slug").values()) == before
    assert ChallengeVersion.objects.count() == versions


def test_load_all_reports_every_problem_at_once(content: Path) -> None:
    for slug in ("wrong-selector", "expose-internally"):
        path = content / slug / "challenge.yaml"
        path.write_text(path.read_text().replace("difficulty: easy", "difficulty: impossible"))
    with pytest.raises(ContentError) as raised:
        load_all(content)
    files = {problem.file.parent.name for problem in raised.value.problems}
    assert files == {"wrong-selector", "expose-internally"}
