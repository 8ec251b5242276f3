"""kubectl's command table: generated from the pinned kubectl, committed as the build made it,
and the console's rules written against what is really in it.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

import pytest

from challenges.console import rules
from challenges.console.policy import flag_allowed
from challenges.console.runner import KubectlMissing, kubectl_path
from challenges.console.table import kubectl_table, normalize, pinned_version, table_path
from tests.fixtures.cluster import REPO, binaries_dir, require_real

GENERATOR = REPO / "platform" / "controlplane" / "kubectl-commands" / "main.go"
DOCKERFILE = REPO / "platform" / "docker" / "Dockerfile"
COMMITTED = table_path(pinned_version())


def _committed() -> dict[str, object]:
    data: dict[str, object] = json.loads(COMMITTED.read_text())
    return data


def test_the_committed_table_is_the_one_the_pinned_build_generates() -> None:
    built = binaries_dir() / "kubectl-commands.json"
    if not built.exists():
        require_real("kubectl command table", f"no {built}: run `make controlplane`")
    if json.loads(built.read_text())["generator_sha256"] != _sha256(GENERATOR):
        require_real("kubectl command table", f"{built} is from another generator: run `make controlplane`")
    assert built.read_bytes() == COMMITTED.read_bytes(), (
        f"{COMMITTED.relative_to(REPO)} is not what the build generates: "
        "run `make kubectl-table` and commit it"
    )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_committed_table_comes_from_this_generator_and_this_kubectl() -> None:
    data = _committed()
    assert data["generator_sha256"] == _sha256(GENERATOR), "run `make kubectl-table` and commit the table"
    assert data["kubectl"] == pinned_version()
    modules = data["modules"]
    assert isinstance(modules, dict)
    assert modules["k8s.io/kubectl"] == "v0." + pinned_version().removeprefix("v1.")
    assert sorted(p.name for p in COMMITTED.parent.glob("kubectl-*.json")) == [COMMITTED.name]


def test_the_docker_image_ships_the_pinned_kubectl() -> None:
    match = re.search(r"^ARG KUBECTL_VERSION=(\S+)$", DOCKERFILE.read_text(), re.MULTILINE)
    assert match, "the Dockerfile names no KUBECTL_VERSION"
    assert match.group(1) == pinned_version()


def test_the_kubectl_the_console_runs_is_the_one_the_table_describes() -> None:
    try:
        program = kubectl_path()
    except KubectlMissing as exc:
        require_real("kubectl", str(exc))
    done = subprocess.run(
        [program, "version", "--client", "-o", "json"], capture_output=True, text=True, timeout=30
    )
    assert json.loads(done.stdout)["clientVersion"]["gitVersion"] == kubectl_table().version


def test_the_table_knows_kubectls_tree() -> None:
    table = kubectl_table()
    for path in [("rollout", "status"), ("create", "secret", "generic"), ("auth", "can-i"), ("set", "image")]:
        assert path in table.commands
    assert table.root.child("cm") is None
    assert table.commands[("create",)].child("cm") is table.commands[("create", "configmap")]
    get = table.commands[("get",)]
    assert get.search_flags["cache-dir"].takes_value
    assert not get.search_flags["watch"].takes_value
    assert get.parse_shorthands["f"].name == "filename"
    assert table.commands[("logs",)].parse_shorthands["f"].name == "follow"
    assert "help" not in get.search_flags and "help" in get.parse_flags
    assert table.commands[("exec",)].command_after_dash
    assert normalize("from_env_file") == "from-env-file"


# --- the rules are written against the table -----------------------------------------------------


def test_every_allowed_command_and_its_own_flags_exist_in_kubectl() -> None:
    table = kubectl_table()
    for path, own in rules.ALLOWED_COMMANDS.items():
        assert path in table.commands, path
        for name in own:
            flag = table.commands[path].parse_flags.get(name)
            assert flag is not None, (path, name)
            # A command's own entry may allow only the command's own flags: never the root's
            # --user or --server under another name.
            assert flag.declared_by == path, (path, name, flag.declared_by)


def test_every_rule_names_a_real_command_or_flag() -> None:
    table = kubectl_table()
    every_flag = {name for command in table.walk() for name in command.parse_flags}
    assert every_flag >= rules.ALL_COMMANDS, rules.ALL_COMMANDS - every_flag
    assert set(rules.REFUSED_FLAGS) <= every_flag, set(rules.REFUSED_FLAGS) - every_flag
    assert set(rules.REFUSED_COMMANDS) <= set(table.commands)
    for path, names in [*rules.STREAMING.items(), *rules.COMMAND_REFUSED_FLAGS.items()]:
        assert set(names) <= set(table.commands[path].parse_flags), path


def test_no_flag_is_both_allowed_for_every_command_and_refused() -> None:
    assert not rules.ALL_COMMANDS & set(rules.REFUSED_FLAGS)
    assert not rules.ALL_COMMANDS & rules.FILENAME_FLAGS
    for path, names in rules.STREAMING.items():
        assert not names & (rules.ALL_COMMANDS | rules.ALLOWED_COMMANDS[path]), path


@pytest.mark.parametrize("path", list(rules.ALLOWED_COMMANDS), ids=lambda path: " ".join(path) or "kubectl")
def test_no_allowed_flag_reads_files_or_changes_credentials(path: tuple[str, ...]) -> None:
    for flag in kubectl_table().commands[path].parse_flags.values():
        names_files = rules.LOCAL_FILE_WORDS.intersection(flag.name.split("-"))
        if names_files or (flag.name in rules.REFUSED_FLAGS and flag.declared_by == ()):
            assert not flag_allowed(path, flag.name), (path, flag.name)
