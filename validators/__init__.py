"""Breakfix validators: judge a learner's work against the live Kubernetes API.

A pure library (no Django, no Celery): give it objective specs and a read-only
NamespaceView, get results back.
"""

# The objective modules register themselves with the registry as they load: loaded here, by the
# package, so that the registry need not import them back.
import validators.objectives  # noqa: F401
from validators import errors
from validators.check import Objective, ObjectiveResult, run_check
from validators.errors import ClusterUnavailable, ObjectInvalid, SpecInvalid, ValidatorError
from validators.kube import api_client_from_kubeconfig
from validators.namespace_view import NamespaceView
from validators.registry import evaluate, register, types, validate_spec
from validators.result import Result

__all__ = [
    "ClusterUnavailable",
    "NamespaceView",
    "ObjectInvalid",
    "Objective",
    "ObjectiveResult",
    "Result",
    "SpecInvalid",
    "ValidatorError",
    "api_client_from_kubeconfig",
    "errors",
    "evaluate",
    "register",
    "run_check",
    "types",
    "validate_spec",
]
