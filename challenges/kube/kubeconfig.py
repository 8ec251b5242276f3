"""Kubeconfigs in and out: the platform's ApiClients, and the learner's token-only kubeconfig."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml
from kubernetes.client import ApiClient
from kubernetes.config import ConfigException, new_client_from_config, new_client_from_config_dict

from challenges.kube import rest
from challenges.kube.errors import KubeRejected, KubeUnavailable


def client_from_file(path: str | Path) -> ApiClient:
    kubeconfig = Path(path)
    if not kubeconfig.is_file():
        # The platform's cluster is not up (yet): an operator can fix that, so try again later.
        raise KubeUnavailable(f"The kubeconfig {str(kubeconfig)!r} does not exist: is the cluster running?")
    try:
        return new_client_from_config(config_file=str(kubeconfig), persist_config=False)
    except (ConfigException, ValueError, KeyError, TypeError) as exc:
        raise KubeRejected(f"The kubeconfig {str(kubeconfig)!r} cannot be used: {exc}") from exc


def client_from_text(text: str) -> ApiClient:
    try:
        config = yaml.safe_load(text)
        if not isinstance(config, dict):
            raise ValueError("not a kubeconfig")
        return new_client_from_config_dict(config, persist_config=False)
    except (ConfigException, ValueError, KeyError, TypeError, yaml.YAMLError) as exc:
        # Never echo the text: it holds credentials.
        raise KubeRejected(f"A kubeconfig cannot be used: {exc.__class__.__name__}") from exc


def request_token(api_client: ApiClient, *, namespace: str, service_account: str, seconds: int) -> str:
    """A bound token for a ServiceAccount (TokenRequest API); it dies with the ServiceAccount."""
    account = f"/api/v1/namespaces/{quote(namespace, safe='')}"
    account += f"/serviceaccounts/{quote(service_account, safe='')}"
    body = rest.call(
        api_client,
        "POST",
        f"{account}/token",
        what=f"issue a token for {namespace}/{service_account}",
        body={
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {"expirationSeconds": seconds},
        },
    )
    token = ((body or {}).get("status") or {}).get("token")
    if not token:
        raise KubeRejected(f"The API server issued no token for {namespace}/{service_account}.")
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
