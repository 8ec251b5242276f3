"""The learner's credentials: a bound ServiceAccount token, and a kubeconfig holding only it.

The platform's own ApiClients come from validators.kube (client_from_file, client_from_text),
which every caller shares for its retry and timeout policy.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import yaml
from kubernetes.client import ApiClient

from validators.errors import ObjectInvalid
from validators.kube import Resource, call

SERVICE_ACCOUNTS = Resource("v1", "serviceaccounts")


def request_token(api_client: ApiClient, *, namespace: str, service_account: str, seconds: int) -> str:
    """A bound token for a ServiceAccount (TokenRequest API); it dies with the ServiceAccount."""
    body = call(
        api_client,
        "POST",
        f"{SERVICE_ACCOUNTS.item(service_account, namespace)}/token",
        what=f"issue a token for {namespace}/{service_account}",
        body={
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {"expirationSeconds": seconds},
        },
    )
    token = ((body or {}).get("status") or {}).get("token")
    if not token:
        raise ObjectInvalid(f"The API server issued no token for {namespace}/{service_account}.")
    return str(token)


def token_kubeconfig(api_client: ApiClient, *, token: str, namespace: str, name: str, user: str) -> str:
    """A kubeconfig for the same API server as `api_client`, authenticating with `token` only."""
    configuration = api_client.configuration
    cluster: dict[str, Any] = {"server": configuration.host}
    if configuration.ssl_ca_cert:
        pem = Path(configuration.ssl_ca_cert).read_bytes()
        cluster["certificate-authority-data"] = base64.b64encode(pem).decode()
    if not configuration.verify_ssl:
        cluster["insecure-skip-tls-verify"] = True
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": cluster}],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": user, "namespace": namespace}}],
        "current-context": name,
        "preferences": {},
    }
    return yaml.safe_dump(config, sort_keys=False)


# A kubeconfig's references to files, and the keys that carry the same content inline.
_FILE_KEYS = {
    "certificate-authority": "certificate-authority-data",
    "client-certificate": "client-certificate-data",
    "client-key": "client-key-data",
}


def embedded_kubeconfig(path: Path) -> str:
    """The kubeconfig at `path` with every file it names read into it, so it works on any host.

    Relative paths are relative to the kubeconfig's own folder, as kubectl reads them.
    """
    try:
        config = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ObjectInvalid(f"The kubeconfig {str(path)!r} cannot be read: {exc.__class__.__name__}") from exc
    if not isinstance(config, dict):
        raise ObjectInvalid(f"The kubeconfig {str(path)!r} is not a mapping.")
    for section, key in (("clusters", "cluster"), ("users", "user")):
        for entry in config.get(section) or []:
            fields = entry.get(key) or {}
            for file_key, data_key in _FILE_KEYS.items():
                if file_key not in fields:
                    continue
                named = path.parent / str(fields.pop(file_key))
                try:
                    fields[data_key] = base64.b64encode(named.read_bytes()).decode()
                except OSError as exc:
                    raise ObjectInvalid(
                        f"The kubeconfig {str(path)!r} names {str(named)!r}, which cannot be read."
                    ) from exc
    return yaml.safe_dump(config, sort_keys=False)


def kubeconfig_server(text: str) -> str:
    """The API server a kubeconfig's current context points at; ValueError when it has none."""
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"it is not YAML ({exc.__class__.__name__})") from None
    if not isinstance(config, dict):
        raise ValueError("it is not a kubeconfig (not a mapping)")
    contexts = {c.get("name"): c.get("context") or {} for c in config.get("contexts") or []}
    clusters = {c.get("name"): c.get("cluster") or {} for c in config.get("clusters") or []}
    context = contexts.get(config.get("current-context")) or next(iter(contexts.values()), {})
    server = (clusters.get(context.get("cluster")) or {}).get("server")
    if not server:
        raise ValueError("its current context names no cluster with a server")
    return str(server)
