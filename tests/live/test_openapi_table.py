"""The content linter's schema table is what the pinned API server serves (make openapi-table)."""

from __future__ import annotations

import pytest

from challenges.lint import openapi
from challenges.lint.openapi_build import build, dump, table_path
from tests.fixtures.cluster import REPO, Cluster

pytestmark = pytest.mark.live


def test_the_committed_schema_table_is_what_the_pinned_api_server_serves(cluster: Cluster) -> None:
    with cluster.api_client() as api:
        served = build(api)
    committed = table_path(served["kubernetes"])
    assert committed.exists(), f"no table for {served['kubernetes']}: run `make openapi-table`"
    assert committed.read_text() == dump(served), (
        f"{committed.relative_to(REPO)} is not what the API server serves: "
        "run `make openapi-table` and commit it"
    )
    assert openapi.pinned() == served["kubernetes"]
