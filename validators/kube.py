from __future__ import annotations

import os
from pathlib import Path

from kubernetes.client import ApiClient, Configuration
from kubernetes.config import ConfigException, new_client_from_config

from validators.errors import ClusterUnavailable, ObjectInvalid


def api_client_from_kubeconfig(path: str | os.PathLike[str], *, context: str | None = None) -> ApiClient:
    """An ApiClient for the cluster a kubeconfig file describes.

    Nothing global is touched: the client carries its own configuration, so one
    process can talk to many attempt clusters at once, and the file is never
    written back (`persist_config=False`).
    """
    kubeconfig = Path(path)
    if not kubeconfig.exists():
        # A kind cluster's kubeconfig appears once the cluster exists; until then, try again later.
        raise ClusterUnavailable(f"The kubeconfig {str(kubeconfig)!r} does not exist.")
    configuration = Configuration()
    # One retry covers a pooled connection the server closed meanwhile; more would only
    # multiply NamespaceView's timeout before the caller hears ClusterUnavailable.
    configuration.retries = 1
    try:
        return new_client_from_config(
            config_file=str(kubeconfig),
            context=context,
            persist_config=False,
            client_configuration=configuration,
        )
    except (ConfigException, ValueError, KeyError, TypeError) as exc:
        raise ObjectInvalid(f"The kubeconfig {str(kubeconfig)!r} cannot be used: {exc}") from exc
