"""The `simulation:` section of challenge.yaml: checked at load time, named precisely when wrong."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.conf import settings

from challenges.loader import ContentProblem, LoadedChallenge, load_folder
from challenges.services.authoring import challenge_lint

SOURCE = Path(settings.BREAKFIX_CONTENT_DIR) / "crashloop-config-key"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "crashloop-config-key"
    shutil.copytree(SOURCE, target)
    return target


def test_the_proof_challenge_declares_what_its_application_does() -> None:
    loaded = load_folder(SOURCE)
    assert isinstance(loaded, LoadedChallenge)
    assert loaded.spec.simulation is not None
    (api,) = loaded.spec.simulation.containers
    assert api.name == "api" and api.listens == [8080]
    assert challenge_lint(challenge=loaded) == []


def test_a_broken_simulation_is_refused_with_its_line_and_field(folder: Path) -> None:
    path = folder / "challenge.yaml"
    text = path.read_text().replace(
        "          exitCode: 1\n          afterSeconds: 1\n", "          exitCode: 256\n", 1
    )
    path.write_text(text)
    problems = load_folder(folder)
    assert isinstance(problems, list) and problems
    problem: ContentProblem = problems[0]
    assert problem.field == "simulation.containers[0].failures[0].exitCode"
    assert problem.line is not None and "exitCode: 256" in text.splitlines()[problem.line - 1]
    assert "less than or equal to 255" in problem.message


def test_lint_names_a_simulated_container_that_no_pod_has(folder: Path) -> None:
    path = folder / "challenge.yaml"
    path.write_text(
        path.read_text().replace(
            "    - name: api\n      startSeconds", "    - name: apii\n      startSeconds"
        )
    )
    loaded = load_folder(folder)
    assert isinstance(loaded, LoadedChallenge)
    assert challenge_lint(challenge=loaded) == [
        "crashloop-config-key: simulation describes container 'apii', "
        "which no pod of manifests/ or solution/ has"
    ]
