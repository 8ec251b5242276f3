"""Reads challenge folders (`challenge.yaml`, `manifests/`, `guards/`, `solution/`) into plain data.

Every problem is reported as a `ContentProblem` naming the file, the line where the YAML parser
gives one, and the field; a folder with any problem is not loaded at all.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from challenges.schema import ChallengeFile

FOLDERS = ("manifests", "guards", "solution")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
GUARD_KINDS = {"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"}
# Objects a challenge may not create: the namespace is the platform's, and cluster-wide RBAC or
# nodes would reach beyond the learner's environment.
# On an object of solution/: the reference fix deletes this object instead of applying it, or
# replaces it (deletes it, waits until it is gone, creates it again).
SOLUTION_ACTION = "breakfix.dev/solution"
SOLUTION_ACTIONS = ("delete", "replace")
FORBIDDEN_KINDS = {"Namespace", "ClusterRole", "ClusterRoleBinding", "Node", "CustomResourceDefinition"}


@dataclass(frozen=True)
class ContentProblem:
    file: Path
    message: str
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        what = f"{self.field}: " if self.field else ""
        return f"{where}: {what}{self.message}"


class ContentError(Exception):
    """One or more challenge folders are invalid; nothing was loaded."""

    def __init__(self, problems: list[ContentProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class LoadedChallenge:
    slug: str
    spec: ChallengeFile
    definition: dict[str, Any]
    content_hash: str
    problems: list[ContentProblem] = field(default_factory=list)


def content_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _line_of(node: yaml.Node | None, path: Iterable[str | int]) -> int | None:
    """The 1-based line of the YAML node at `path` (or of its deepest existing parent)."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in path:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node = child
        line = node.start_mark.line + 1
    return line


def _parse_yaml(path: Path, *, many: bool) -> tuple[list[Any], list[yaml.Node | None], ContentProblem | None]:
    text = path.read_text(encoding="utf-8")
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        return [], [], ContentProblem(path, f"invalid YAML: {problem}", line=mark.line + 1 if mark else None)
    pairs = [(d, n) for d, n in zip(documents, nodes, strict=True) if d is not None]
    if not many and len(pairs) != 1:
        return [], [], ContentProblem(path, "must hold exactly one YAML document")
    return [d for d, _ in pairs], [n for _, n in pairs], None


def _field_name(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _check_object(path: Path, doc: Any, node: yaml.Node | None, folder: str) -> list[ContentProblem]:
    def problem(message: str, *loc: str | int) -> ContentProblem:
        return ContentProblem(path, message, line=_line_of(node, loc), field=_field_name(loc) or None)

    if not isinstance(doc, dict):
        return [problem("a Kubernetes object must be a mapping with apiVersion, kind and metadata")]
    problems = []
    for key in ("apiVersion", "kind"):
        if not isinstance(doc.get(key), str) or not doc.get(key):
            problems.append(problem(f"missing {key}: every Kubernetes object needs one", key))
    metadata = doc.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if not isinstance(name, str) or not DNS_LABEL.match(name) or len(name) > 253:
        problems.append(problem("metadata.name must be a lowercase DNS name", "metadata", "name"))
    if isinstance(metadata, dict) and "namespace" in metadata:
        problems.append(
            problem(
                "do not set a namespace: objects go into the attempt's namespace", "metadata", "namespace"
            )
        )
    kind = doc.get("kind")
    if folder == "guards" and kind not in GUARD_KINDS:
        problems.append(problem(f"guards hold only {' and '.join(sorted(GUARD_KINDS))}, not {kind}", "kind"))
    if folder != "guards" and (kind in FORBIDDEN_KINDS or kind in GUARD_KINDS):
        problems.append(problem(f"a {kind} is not allowed in {folder}/", "kind"))
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    if isinstance(annotations, dict) and SOLUTION_ACTION in annotations:
        where = ("metadata", "annotations", SOLUTION_ACTION)
        if folder != "solution":
            problems.append(problem(f"{SOLUTION_ACTION} belongs on objects of solution/ only", *where))
        elif annotations[SOLUTION_ACTION] not in SOLUTION_ACTIONS:
            problems.append(
                problem(
                    f"{SOLUTION_ACTION} may only be 'delete' (the fix deletes this object) or 'replace' "
                    "(the fix deletes it and creates it anew, to change fields that cannot be updated)",
                    *where,
                )
            )
    return problems


def load_folder(folder: Path) -> LoadedChallenge | list[ContentProblem]:
    """Load one challenge folder, or return every problem found in it."""
    problems: list[ContentProblem] = []
    slug = folder.name
    if not SLUG.match(slug):
        problems.append(ContentProblem(folder, "folder name must be a lowercase slug like 'wrong-selector'"))
    challenge_path = folder / "challenge.yaml"
    if not challenge_path.is_file():
        return [*problems, ContentProblem(challenge_path, "missing challenge.yaml")]

    docs, nodes, problem = _parse_yaml(challenge_path, many=False)
    spec: ChallengeFile | None = None
    if problem:
        problems.append(problem)
    else:
        try:
            spec = ChallengeFile.model_validate(docs[0])
        except ValidationError as error:
            for item in error.errors():
                loc = tuple(item["loc"])
                message = item["msg"].removeprefix("Value error, ")
                problems.append(
                    ContentProblem(
                        challenge_path, message, line=_line_of(nodes[0], loc), field=_field_name(loc)
                    )
                )

    definition: dict[str, Any] = {"challenge": docs[0] if docs else None}
    for name in FOLDERS:
        files: list[dict[str, Any]] = []
        directory = folder / name
        if not directory.is_dir():
            if name != "guards":
                problems.append(ContentProblem(directory, f"missing {name}/ folder"))
            definition[name] = files
            continue
        for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
            file_docs, file_nodes, problem = _parse_yaml(path, many=True)
            if problem:
                problems.append(problem)
                continue
            for doc, node in zip(file_docs, file_nodes, strict=True):
                problems.extend(_check_object(path, doc, node, name))
            files.append(
                {"file": path.name, "text": path.read_text(encoding="utf-8"), "documents": file_docs}
            )
        if name != "guards" and not files:
            problems.append(ContentProblem(directory, f"{name}/ holds no YAML file"))
        definition[name] = files

    if problems or spec is None:
        return problems
    return LoadedChallenge(slug=slug, spec=spec, definition=definition, content_hash=content_hash(folder))


def load_all(content_dir: Path) -> list[LoadedChallenge]:
    """Load every folder under `content_dir`; raise ContentError listing every problem found."""
    if not content_dir.is_dir():
        raise ContentError([ContentProblem(content_dir, "challenge content folder does not exist")])
    loaded: list[LoadedChallenge] = []
    problems: list[ContentProblem] = []
    for folder in sorted(
        p for p in content_dir.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))
    ):
        result = load_folder(folder)
        if isinstance(result, list):
            problems.extend(result)
        else:
            loaded.append(result)
    if problems:
        raise ContentError(problems)
    return loaded
