"""Where an API resource lives: the paths of its collections and of its objects."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote


def group_version_path(group_version: str) -> str:
    """The discovery path of a group version: the core group is /api/v1, every other /apis/<gv>."""
    return "/api/v1" if group_version == "v1" else f"/apis/{group_version}"


@dataclass(frozen=True)
class Resource:
    """A resource type by its group version and plural name (`apps/v1`, `deployments`)."""

    group_version: str
    plural: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return self.group_version

    def collection(self, namespace: str = "") -> str:
        """The collection's path: in `namespace` for a namespaced type, cluster-wide otherwise."""
        prefix = group_version_path(self.group_version)
        if self.namespaced and namespace:
            return f"{prefix}/namespaces/{quote(namespace, safe='')}/{self.plural}"
        return f"{prefix}/{self.plural}"

    def item(self, name: str, namespace: str = "") -> str:
        return f"{self.collection(namespace)}/{quote(name, safe='')}"
