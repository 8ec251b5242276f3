"""ApiClients for the clusters the platform talks to, all with one retry and timeout policy.

Nothing global is touched: each client carries its own configuration, so one process can talk to
many attempt clusters at once, and a kubeconfig file is never written back (`persist_config=False`).

The policy, in one place:
- urllib3 retries only what cannot have reached the API server or was cut before any answer: a
  connection that could not be made (twice: at once, then after 0.5 s, for an API server that
  is restarting) and, for idempotent methods only, a connection reset or closed under the
  request (once: a pooled connection the server had dropped). Never a timeout (the server may
  still be working on it; retrying would only multiply the wait) and never an HTTP answer: 429
  and 5xx come back to the caller, whose Celery task retries with its own backoff.
- each request may take `transport.TIMEOUT` (5 s to connect, 20 s to answer) unless its caller
  asks for less.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from kubernetes.client import ApiClient, Configuration
from kubernetes.config import ConfigException, new_client_from_config, new_client_from_config_dict
from urllib3.exceptions import ProtocolError
from urllib3.util.retry import Retry

from validators.errors import ClusterUnavailable, ObjectInvalid


class _RetryUnanswered(Retry):
    """urllib3's Retry, but a read timeout is not a reason to send the request again."""

    def _is_read_error(self, err: Exception) -> bool:
        return isinstance(err, ProtocolError)


RETRIES = _RetryUnanswered(
    total=2,
    connect=2,
    read=1,
    status=0,
    other=0,
    redirect=0,
    backoff_factor=0.25,
    raise_on_status=False,
    respect_retry_after_header=False,
)
_CONFIG_ERRORS = (ConfigException, ValueError, KeyError, TypeError)


def _configuration() -> Configuration:
    configuration = Configuration()
    configuration.retries = RETRIES
    return configuration


def client_from_file(path: str | os.PathLike[str], *, context: str | None = None) -> ApiClient:
    """An ApiClient for the cluster a kubeconfig file describes."""
    kubeconfig = Path(path)
    if not kubeconfig.is_file():
        # A kind cluster's kubeconfig, or the platform's cluster, appears once the cluster is up:
        # an operator can fix that, so try again later.
        raise ClusterUnavailable(
            f"The kubeconfig {str(kubeconfig)!r} does not exist: is the cluster running?"
        )
    configuration = _configuration()
    try:
        return new_client_from_config(
            config_file=str(kubeconfig),
            context=context,
            persist_config=False,
            client_configuration=configuration,
        )
    except _CONFIG_ERRORS as exc:
        raise ObjectInvalid(f"The kubeconfig {str(kubeconfig)!r} cannot be used: {exc}") from exc


def client_from_config(config: Mapping[str, Any]) -> ApiClient:
    """An ApiClient for a kubeconfig already parsed into a mapping."""
    configuration = _configuration()
    try:
        return new_client_from_config_dict(
            dict(config), persist_config=False, client_configuration=configuration
        )
    except _CONFIG_ERRORS as exc:
        # Never echo the configuration: it holds credentials.
        raise ObjectInvalid(f"A kubeconfig cannot be used: {exc.__class__.__name__}") from exc


def client_from_text(text: str) -> ApiClient:
    """An ApiClient for a kubeconfig's YAML text (a kind cluster's, a learner's)."""
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ObjectInvalid(f"A kubeconfig cannot be used: {exc.__class__.__name__}") from exc
    if not isinstance(config, dict):
        raise ObjectInvalid("A kubeconfig cannot be used: it is not a mapping.")
    return client_from_config(config)
