"""Image references the way containerd reports them, and the simulated registry's answers."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

DEFAULT_REGISTRY = "docker.io"


def normalize(reference: str) -> str:
    """`nginx:1.27` → `docker.io/library/nginx:1.27`, as the runtime resolves it; untagged means :latest."""
    name, digest = [*reference.split("@", 1), ""][:2]
    first, _, rest = name.partition("/")
    if not rest:
        name = f"{DEFAULT_REGISTRY}/library/{name}"
    elif "." not in first and ":" not in first and first != "localhost":
        name = f"{DEFAULT_REGISTRY}/{name}"
    last = name.rsplit("/", 1)[-1]
    if ":" not in last and not digest:
        name += ":latest"
    return f"{name}@{digest}" if digest else name


def repository(reference: str) -> str:
    """The normalized reference without its tag or digest."""
    name = normalize(reference).split("@", 1)[0]
    head, _, last = name.rpartition("/")
    return f"{head}/{last.split(':', 1)[0]}"


def image_id(reference: str) -> str:
    """A stable digest reference for an image that was pulled: `docker.io/library/nginx@sha256:…`."""
    digest = hashlib.sha256(normalize(reference).encode()).hexdigest()
    return f"{repository(reference)}@sha256:{digest}"


def is_missing(reference: str, missing: Iterable[str]) -> bool:
    wanted = normalize(reference)
    return any(normalize(m) == wanted for m in missing)


def pull_error(reference: str) -> str:
    """What containerd answers for a reference the registry does not have."""
    full = normalize(reference)
    return (
        f'rpc error: code = NotFound desc = failed to pull and unpack image "{full}": '
        f'failed to resolve reference "{full}": {full}: not found'
    )


def uses_latest(reference: str) -> bool:
    return "@" not in reference and normalize(reference).endswith(":latest")
