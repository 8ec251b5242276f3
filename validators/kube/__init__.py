"""The one boundary to the Kubernetes API, for both sides: the checks (NamespaceView) and the
platform (server-side apply, the backends, the editor).

- `client`: ApiClients from kubeconfigs, with the platform's retry and timeout policy;
- `transport`: one request, its answer, and the one rule that classifies failures into
  `ClusterUnavailable` (temporary) or `ObjectInvalid` (permanent), never the client's exceptions;
- `resources`: the paths of API collections and objects.
"""

from validators.kube.client import client_from_config, client_from_file, client_from_text
from validators.kube.resources import Resource, group_version_path
from validators.kube.transport import Answer, Obj, Query, call, error, is_temporary, request, status_message

__all__ = [
    "Answer",
    "Obj",
    "Query",
    "Resource",
    "call",
    "client_from_config",
    "client_from_file",
    "client_from_text",
    "error",
    "group_version_path",
    "is_temporary",
    "request",
    "status_message",
]
