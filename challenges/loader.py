"""Reads challenge folders (`challenge.yaml`, `manifests/`, `guards/`, `solution/`) into plain data.

Every problem is a `ContentProblem` naming the file, the line and the field; a folder with any
problem is not loaded at all. What is refused, and why, lives in challenges/lint: the folder's
files (plain files only, no links; sizes bounded), their YAML (UTF-8, no duplicate keys, no
anchors or aliases), each object's kind (kinds.py), fields (openapi.py, against the pinned
API's schema) and reach (tenancy.py). `whole_cluster` says whether the installation gives each
attempt a cluster of its own (the kind backend): only then may a challenge create cluster-scoped
objects, or what a shared cluster's namespace would refuse.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from challenges.kube.apply import DNS_SUBDOMAIN
from challenges.lint import kinds, openapi, tenancy, yaml_strict
from challenges.lint.problems import ContentError, ContentProblem, Loc, at, field_name, line_of
from challenges.schema import ChallengeFile

__all__ = ["ContentError", "ContentProblem", "LoadedChallenge", "content_hash", "load_all", "load_folder"]

FOLDERS = ("manifests", "guards", "solution")
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MAX_CHALLENGE_BYTES = 1024 * 1024
MAX_FILES = 60
MAX_OBJECTS = 150
WHOLE_CLUSTER_ONLY = (
    "a challenge that needs this runs only where each attempt gets a cluster of its own "
    "(BREAKFIX_BACKEND=kind), not in a namespace of this installation's shared cluster"
)
# On an object of solution/: the reference fix deletes this object instead of applying it, or
# replaces it (deletes it, waits until it is gone, creates it again).
SOLUTION_ACTION = "breakfix.dev/solution"
SOLUTION_ACTIONS = ("delete", "replace")


@dataclass
class LoadedChallenge:
    slug: str
    spec: ChallengeFile
    definition: dict[str, Any]
    content_hash: str
    # It creates cluster-scoped objects (or what a shared cluster's namespace refuses), so it runs
    # only where an attempt gets a whole cluster.
    needs_cluster: bool = False
    problems: list[ContentProblem] = field(default_factory=list)


def content_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _files_problems(folder: Path) -> list[ContentProblem]:
    """Plain files and folders only, never a link (whose target could be anything on the machine),
    and not too many or too much of them."""
    if folder.is_symlink():
        return [ContentProblem(folder, "is a symbolic link: a challenge folder must be a real folder")]
    problems: list[ContentProblem] = []
    total = count = 0
    for root, dirs, files in os.walk(folder, followlinks=False):
        for name in sorted([*dirs, *files]):
            path = Path(root) / name
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                problems.append(
                    ContentProblem(
                        path,
                        f"is a symbolic link (to {path.readlink()}): a challenge holds plain files "
                        "only; copy the file in instead",
                    )
                )
            elif stat.S_ISREG(mode):
                size = path.lstat().st_size
                count, total = count + 1, total + size
                if size > yaml_strict.MAX_FILE_BYTES:
                    problems.append(yaml_strict.too_large(path, size))
            elif not stat.S_ISDIR(mode):
                problems.append(ContentProblem(path, "is not a plain file: remove it"))
    if count > MAX_FILES:
        problems.append(
            ContentProblem(folder, f"holds {count} files; a challenge may hold at most {MAX_FILES}")
        )
    if total > MAX_CHALLENGE_BYTES:
        problems.append(
            ContentProblem(
                folder, f"holds {total:,} bytes; a challenge may hold at most {MAX_CHALLENGE_BYTES:,}"
            )
        )
    return problems


def _check_object(
    path: Path, doc: Any, node: yaml.Node | None, folder: str, *, whole_cluster: bool
) -> tuple[list[ContentProblem], bool]:
    """The problems of one object, and whether it needs a whole cluster."""

    def problem(message: str, *loc: str | int) -> ContentProblem:
        return at(path, node, loc, message)

    if not isinstance(doc, dict):
        return [problem("a Kubernetes object must be a mapping with apiVersion, kind and metadata")], False
    problems = []
    for key in ("apiVersion", "kind"):
        if not isinstance(doc.get(key), str) or not doc.get(key):
            problems.append(problem(f"missing {key}: every Kubernetes object needs one", key))
    metadata = doc.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if not isinstance(name, str) or not DNS_SUBDOMAIN.match(name) or len(name) > 253:
        problems.append(problem("metadata.name must be a lowercase DNS name", "metadata", "name"))
    if isinstance(metadata, dict) and "namespace" in metadata:
        problems.append(
            problem(
                "do not set a namespace: objects go into the attempt's namespace", "metadata", "namespace"
            )
        )
    if problems:
        return problems, False
    api_version, kind = str(doc["apiVersion"]), str(doc["kind"])
    refused = kinds.refusal(api_version, kind, folder=folder)
    if refused:
        at_field, why = refused
        return [problem(why, at_field)], False
    problems += [problem(message, *loc) for loc, message in openapi.check(doc)]
    problems += _solution_action(doc, node, path, folder)
    if folder == "guards":
        return problems, False
    problems += [problem(message, *loc) for loc, message in tenancy.platform_problems(doc)]
    shared: list[tuple[Loc, str]] = []
    if kinds.needs_whole_cluster(api_version, kind):
        shared.append((("kind",), f"{kind} is cluster-scoped: it would outlive the attempt's namespace"))
    shared += tenancy.shared_cluster_problems(doc)
    if not whole_cluster:
        problems += [problem(f"{message}; {WHOLE_CLUSTER_ONLY}", *loc) for loc, message in shared]
    return problems, bool(shared)


def _solution_action(
    doc: dict[str, Any], node: yaml.Node | None, path: Path, folder: str
) -> list[ContentProblem]:
    """The one annotation of the platform's a challenge may carry: a fix deletes or replaces an object."""
    annotations = (doc.get("metadata") or {}).get("annotations") or {}
    if SOLUTION_ACTION not in annotations:
        return []
    where = ("metadata", "annotations", SOLUTION_ACTION)
    if folder != "solution":
        return [at(path, node, where, f"{SOLUTION_ACTION} belongs on objects of solution/ only")]
    if annotations[SOLUTION_ACTION] not in SOLUTION_ACTIONS:
        why = (
            f"{SOLUTION_ACTION} may only be 'delete' (the fix deletes this object) or 'replace' "
            "(the fix deletes it and creates it anew, to change fields that cannot be updated)"
        )
        return [at(path, node, where, why)]
    return []


def _challenge_file(path: Path) -> tuple[dict[str, Any] | None, ChallengeFile | None, list[ContentProblem]]:
    parsed, problems = yaml_strict.read(path, many=False)
    if parsed is None:
        return None, None, problems
    document, node = parsed.documents[0], parsed.nodes[0]
    try:
        return document, ChallengeFile.model_validate(document), []
    except ValidationError as error:
        for item in error.errors():
            loc = tuple(item["loc"])
            message = item["msg"].removeprefix("Value error, ")
            problems.append(ContentProblem(path, message, line=line_of(node, loc), field=field_name(loc)))
        return document, None, problems


def load_folder(folder: Path, *, whole_cluster: bool = False) -> LoadedChallenge | list[ContentProblem]:
    """Load one challenge folder, or return every problem found in it."""
    problems: list[ContentProblem] = []
    slug = folder.name
    if not SLUG.match(slug):
        problems.append(ContentProblem(folder, "folder name must be a lowercase slug like 'wrong-selector'"))
    problems += _files_problems(folder)
    if problems:
        return problems
    challenge_path = folder / "challenge.yaml"
    if not challenge_path.is_file():
        return [ContentProblem(challenge_path, "missing challenge.yaml")]

    document, spec, problems = _challenge_file(challenge_path)
    definition: dict[str, Any] = {"challenge": document}
    needs_cluster = False
    objects = 0
    for name in FOLDERS:
        files: list[dict[str, Any]] = []
        directory = folder / name
        definition[name] = files
        if not directory.is_dir():
            if name != "guards":
                problems.append(ContentProblem(directory, f"missing {name}/ folder"))
            continue
        for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
            parsed, file_problems = yaml_strict.read(path, many=True)
            problems += file_problems
            if parsed is None:
                continue
            for doc, node in zip(parsed.documents, parsed.nodes, strict=True):
                found, whole = _check_object(path, doc, node, name, whole_cluster=whole_cluster)
                problems += found
                needs_cluster = needs_cluster or whole
            objects += len(parsed.documents)
            files.append({"file": path.name, "text": parsed.text, "documents": parsed.documents})
        if name != "guards" and not files:
            problems.append(ContentProblem(directory, f"{name}/ holds no YAML file"))
    if objects > MAX_OBJECTS:
        problems.append(
            ContentProblem(folder, f"holds {objects} objects; a challenge may hold at most {MAX_OBJECTS}")
        )
    if problems or spec is None:
        return problems
    return LoadedChallenge(
        slug=slug,
        spec=spec,
        definition=definition,
        content_hash=content_hash(folder),
        needs_cluster=needs_cluster,
    )


def load_all(content_dir: Path, *, whole_cluster: bool = False) -> list[LoadedChallenge]:
    """Load every folder under `content_dir`; raise ContentError listing every problem found."""
    if not content_dir.is_dir():
        raise ContentError([ContentProblem(content_dir, "challenge content folder does not exist")])
    loaded: list[LoadedChallenge] = []
    problems: list[ContentProblem] = []
    for folder in sorted(
        p for p in content_dir.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))
    ):
        result = load_folder(folder, whole_cluster=whole_cluster)
        if isinstance(result, list):
            problems.extend(result)
        else:
            loaded.append(result)
    if problems:
        raise ContentError(problems)
    return loaded
