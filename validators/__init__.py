"""Breakfix validators: judge a learner's work against the live Kubernetes API.

A pure library (no Django, no Celery): give it objective specs and a read-only view of a
namespace (a `View`: NamespaceView against the API server), get results back. `validators.kube`
is the one boundary to the Kubernetes API, which the platform's side uses too.
"""

# The objective modules register themselves with the registry as they load: loaded here, by the
# package, so that the registry need not import them back.
import validators.objectives  # noqa: F401
from validators import errors
from validators.check import Objective, ObjectiveResult, run_check
from validators.errors import ClusterUnavailable, KubeError, ObjectInvalid, SpecInvalid, ValidatorError
from validators.kube import client_from_file
from validators.namespace_view import NamespaceView
from validators.registry import evaluate, register, types, validate_spec
from validators.result import Result
from validators.view import AccessQuestion, LogQuery, View

__all__ = [
    "AccessQuestion",
    "ClusterUnavailable",
    "KubeError",
    "LogQuery",
    "NamespaceView",
    "ObjectInvalid",
    "Objective",
    "ObjectiveResult",
    "Result",
    "SpecInvalid",
    "ValidatorError",
    "View",
    "client_from_file",
    "errors",
    "evaluate",
    "register",
    "run_check",
    "types",
    "validate_spec",
]
