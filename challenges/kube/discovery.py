"""Which resource serves a kind: API discovery, one request per group version, kept for one task.

Not kubernetes.dynamic: its discoverer keeps its cache in a file of the shared temporary directory
(osrcp-<hash of the server address>.json) that any local process could write first, and it reads
every API group when it starts; one GET per group version asked about is all an apply needs.
"""

from __future__ import annotations

import logging

from kubernetes.client import ApiClient

from validators.errors import KubeError, ObjectInvalid
from validators.kube import Obj, Resource, call, group_version_path

logger = logging.getLogger(__name__)


class Discovery:
    """Kind → Resource lookups for one API server, cached for the life of this object (one apply,
    one editor request, one teardown): a kind installed meanwhile is seen by the next one."""

    def __init__(self, api_client: ApiClient) -> None:
        self._api = api_client
        self._resources: dict[str, list[Obj] | None] = {}

    def resources(self, group_version: str) -> list[Obj] | None:
        """The resources a group version serves, or None when the API server does not serve it."""
        if group_version not in self._resources:
            body = call(
                self._api,
                "GET",
                group_version_path(group_version),
                what=f"discover {group_version}",
                missing_ok=True,
            )
            self._resources[group_version] = None if body is None else list(body.get("resources") or [])
        return self._resources[group_version]

    def resolve(self, api_version: str, kind: str) -> Resource:
        """The resource of `kind` in `api_version`; ObjectInvalid when the cluster has none."""
        served = self.resources(api_version)
        if served is None:
            raise ObjectInvalid(
                f"The cluster does not serve {api_version}, which {kind} needs.",
                status=404,
                reason="NotFound",
            )
        for resource in served:
            # Subresources (pods/log, deployments/scale) share their parent's kind.
            if resource.get("kind") == kind and "/" not in str(resource.get("name", "")):
                return Resource(api_version, str(resource["name"]), bool(resource.get("namespaced")))
        raise ObjectInvalid(
            f"The cluster has no kind {kind} in {api_version}.", status=404, reason="NotFound"
        )

    def preferred_versions(self) -> list[str]:
        """v1 and the preferred version of every API group the server has (v1 alone, logged, when the
        group list cannot be read)."""
        versions = ["v1"]
        try:
            groups = call(self._api, "GET", "/apis", what="discover the API groups") or {}
        except KubeError as exc:
            logger.warning("%s", exc)
            return versions
        for group in groups.get("groups") or []:
            preferred = (group.get("preferredVersion") or {}).get("groupVersion")
            if preferred:
                versions.append(str(preferred))
        return versions

    def namespaced_collections(self, *, verbs: frozenset[str]) -> list[Resource]:
        """Every namespaced type, in its group's preferred version, that allows all of `verbs`.

        A group version whose discovery fails (an aggregated API that is down, say) is logged and
        left out: one broken API must not stop the work on every other type.
        """
        found: dict[tuple[str, str], Resource] = {}
        for version in self.preferred_versions():
            try:
                served = self.resources(version) or []
            except KubeError as exc:
                logger.warning("could not discover %s: %s", version, exc)
                continue
            for resource in served:
                name = str(resource.get("name", ""))
                if (
                    "/" in name
                    or not resource.get("namespaced")
                    or not verbs <= set(resource.get("verbs") or [])
                ):
                    continue
                group = version.rpartition("/")[0]
                # The same objects served by two groups (events) need one pass.
                found.setdefault((group, name), Resource(version, name))
        return list(found.values())
