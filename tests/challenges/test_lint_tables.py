"""The content linter's tables agree with each other, with the pinned Kubernetes version and with
what the backends put in every environment."""

from __future__ import annotations

from pathlib import Path

from challenges.backends import KindBackend, NamespaceBackend
from challenges.lint import kinds, openapi, tenancy
from tests.fixtures.cluster import REPO

TABLES = REPO / "challenges" / "lint"


def _pinned() -> str:
    for line in (REPO / "platform" / "controlplane" / "versions.env").read_text().splitlines():
        if line.startswith("K8S_VERSION="):
            return line.split("=", 1)[1].strip()
    raise AssertionError("no K8S_VERSION")


def test_the_schema_table_is_the_pinned_versions_alone() -> None:
    assert [p.name for p in TABLES.glob("kubernetes-v*.json")] == [f"kubernetes-{_pinned()}.json"]
    assert openapi.pinned() == _pinned()


def test_the_schema_table_holds_every_allowed_kind_and_no_other() -> None:
    assert set(openapi.table()["kinds"]) == {f"{v} {k}" for v, k in kinds.EVERY}


def test_the_allowlist_says_what_the_api_server_says_is_namespaced() -> None:
    for api_version, kind in kinds.NAMESPACED:
        assert openapi.namespaced(api_version, kind) is True, kind
    for api_version, kind in kinds.WHOLE_CLUSTER | kinds.GUARDS:
        assert openapi.namespaced(api_version, kind) is False, kind


def test_the_schema_table_stays_small() -> None:
    assert (TABLES / f"kubernetes-{_pinned()}.json").stat().st_size < 200_000


def test_every_object_the_backends_put_in_an_environment_is_reserved(tmp_path: Path) -> None:
    placed = {
        (doc["kind"], doc["metadata"]["name"])
        for backend in (
            NamespaceBackend(prefix="bf", kubeconfig=tmp_path / "kubeconfig"),
            KindBackend(prefix="bf", kind="kind", wait_seconds=1, internal=False),
        )
        for doc in backend.access_documents("bf-1")
    }
    assert placed <= tenancy.RESERVED
    assert NamespaceBackend(prefix="bf", kubeconfig=tmp_path).platform_objects() <= tenancy.RESERVED
