"""The escape corpus through the parser, and the parser's reading checked against kubectl's own.

Every corpus line must come out as the corpus says: refused with its category, or allowed.
Then the reading itself: for every corpus line (and a few thousand random ones), what the
console believes kubectl will run must be what cobra and pflag, linked into the
control-plane build's `kubectl-commands -read`, actually find on kubectl's real command tree.
"""

from __future__ import annotations

import json
import random
import subprocess
import time
from collections import Counter
from typing import Any

import pytest

from challenges.console import cobra
from challenges.console.parser import Refused, Scope, kubectl_words, parse
from challenges.console.refusals import Category
from challenges.console.table import kubectl_table
from tests.challenges.escape_corpus import Case, Kind, corpus
from tests.fixtures.cluster import binaries_dir, require_real

NS = "bf-corpus-1"
SCOPE = Scope(namespace=NS)
CASES = corpus(NS)


def _outcome(line: str) -> Category | None:
    try:
        parse(line, scope=SCOPE)
    except Refused as refused:
        assert refused.refusal.message, line
        return refused.refusal.category
    return None


def test_the_corpus_covers_every_class_with_at_least_300_lines() -> None:
    kinds = Counter(case.kind for case in CASES)
    assert len(CASES) >= 300
    assert set(kinds) == set(Kind)
    assert sum(1 for case in CASES if case.expected is None) >= 60
    refused = {case.expected for case in CASES if case.expected is not None}
    assert refused == set(Category)


@pytest.mark.parametrize("case", CASES, ids=[f"{case.kind.name}:{case.line[:60]!r}" for case in CASES])
def test_the_escape_corpus(case: Case) -> None:
    assert _outcome(case.line) == case.expected


def test_parsing_is_quick() -> None:
    timings = []
    for case in CASES:
        started = time.perf_counter()
        _outcome(case.line)
        timings.append(time.perf_counter() - started)
    timings.sort()
    p50 = timings[len(timings) // 2]
    assert p50 < 0.002, f"p50 {p50 * 1000:.3f} ms"


# --- the reading against kubectl's own -------------------------------------------------------------

# strconv.ParseBool
_BOOLS = {"1": "true", "t": "true", "T": "true", "TRUE": "true", "true": "true", "True": "true"}
_BOOLS.update(
    {"0": "false", "f": "false", "F": "false", "FALSE": "false", "false": "false", "False": "false"}
)

_VOCABULARY = """
get pods proxy config view create secret generic cm svc deployment rollout status exec logs
help __complete __completeNoDesc apply edit-last-applied top pod auth can-i set image x
/etc/passwd json wide 6 -- - --cache_dir --cache-dir=x --cache-dir --kubeconfig -n -nfoo -n=
-it -ti -f -f=x -fx -o -ojson -o=json --output --help -h --bogus --bogus=1 -x -Z ---x --=x
-test.v -itest.v --dry-run --dry-run=server --watch -w -A -A=false --all_namespaces=false
-vv -v --v=6 --selector -l -lapp=web --as --as=admin --from_file=x --from-file -p -c -cx
--image=nginx --tail -1 --port 80 --raw -R -Rf -k é -é --é
"""
WORDS = [*_VOCABULARY.split(), "", "'x y'"]


def _random_lines(count: int) -> list[list[str]]:
    """Random words; every other line starts with one of kubectl's command paths, to go deep."""
    rng = random.Random(10)
    paths = [list(command.path) for command in kubectl_table().walk()]
    lines = []
    for i in range(count):
        words = [rng.choice(WORDS) for _ in range(rng.randint(1, 7))]
        if i % 2:
            words[rng.randint(0, len(words)) : 0] = rng.choice(paths)
        lines.append(words)
    return lines


def _kubectl_readings(lines: list[list[str]]) -> list[dict[str, Any]]:
    program = binaries_dir() / "kubectl-commands"
    if not program.exists():
        require_real("kubectl command table", f"no {program}: run `make controlplane`")
    stdin = "".join(json.dumps(words) + "\n" for words in lines)
    done = subprocess.run(
        [program, "-read"], input=stdin, capture_output=True, text=True, check=True, timeout=300
    )
    return [json.loads(line) for line in done.stdout.splitlines()]


def _differences(words: list[str], theirs: dict[str, Any]) -> list[str]:
    reading = cobra.read(kubectl_table(), words)
    ours: list[str] = []
    if list(reading.command.path) != theirs["path"]:
        ours.append(f"path {reading.command.path} != {theirs['path']}")
    if (reading.unknown_command is not None) != bool(theirs.get("find_error")):
        ours.append(f"unknown command {reading.unknown_command!r} != {theirs.get('find_error')!r}")
    if reading.unknown_command is not None or theirs.get("find_error"):
        return ours
    problem = next((use for use in reading.flags if use.problem not in (None, cobra.Problem.IGNORED)), None)
    error = theirs.get("parse_error", "")
    if problem is not None and not error:
        ours.append(f"we see {problem.problem} at {problem.typed}, kubectl no error")
    changed: dict[str, str] = {}
    for use in reading.flags:
        if use.flag is not None and use.problem is None and use.value is not None:
            changed[use.name] = use.value
    if error:
        # kubectl runs nothing. It may stop earlier than we do: we do not check value types
        # (`-v v` is no number), so kubectl's flags must be a part of ours.
        if problem is None and "invalid argument" not in error:
            ours.append(f"kubectl fails with {error!r}, we see no problem")
        if not set(theirs["changed"]) <= set(changed):
            ours.append(f"flags {sorted(changed)} do not hold {sorted(theirs['changed'])}")
        return ours
    if set(changed) != set(theirs["changed"]):
        ours.append(f"flags {sorted(changed)} != {sorted(theirs['changed'])}")
    for name, value in changed.items():
        flag = reading.command.parse_flags[name]
        if flag.type == "bool":
            value = _BOOLS.get(value, value)
        if flag.type in ("string", "bool") and theirs["changed"].get(name) != value:
            ours.append(f"--{name}={value!r} != {theirs['changed'].get(name)!r}")
    if reading.positionals != theirs["args"]:
        ours.append(f"args {reading.positionals} != {theirs['args']}")
    if (reading.dash_at if reading.dash_at is not None else -1) != theirs["dash_at"]:
        ours.append(f"dash at {reading.dash_at} != {theirs['dash_at']}")
    return ours


def _corpus_words() -> list[list[str]]:
    lines = []
    for case in CASES:
        try:
            lines.append(kubectl_words(case.line)[0])
        except Refused:
            continue  # refused before kubectl's reading matters: characters, shell, length
    return lines


def test_the_console_reads_every_line_as_kubectl_does() -> None:
    lines = _corpus_words() + _random_lines(1500)
    # The namespace the service puts first never changes what kubectl reads after it.
    lines += [[f"--namespace={NS}", *words] for words in lines[::7]]
    differences = {}
    for words, theirs in zip(lines, _kubectl_readings(lines), strict=True):
        found = _differences(words, theirs)
        if found:
            differences[" ".join(map(repr, words))] = found
    assert not differences, json.dumps(differences, indent=1)[:4000]
