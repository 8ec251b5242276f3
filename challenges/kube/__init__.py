"""The platform's side of the Kubernetes API: server-side apply, guard scoping, simulations,
discovery, finalizers and the learner's credentials.

Everything goes through validators.kube, the one transport both sides share, and raises its
errors: `ClusterUnavailable` (temporary) or `ObjectInvalid` (permanent), never the kubernetes
client's exceptions.
"""

from challenges.kube.apply import (
    apply_documents,
    delete_documents,
    delete_guards,
    guarded_namespaces,
    scope_guards,
)
from challenges.kube.guards import apply_guards
from challenges.kube.simulation import apply_simulation, delete_simulations, simulated_namespaces

__all__ = [
    "apply_documents",
    "apply_guards",
    "apply_simulation",
    "delete_documents",
    "delete_guards",
    "delete_simulations",
    "guarded_namespaces",
    "scope_guards",
    "simulated_namespaces",
]
