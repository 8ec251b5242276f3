"""What every challenge's fairness tests share: the broken state, honest fixes, shortcuts, guards.

An honest fix must pass every objective; a shortcut must fail the objective that catches it, with
a message naming what is wrong (`fragment`). Shortcuts are applied with the platform's credentials,
past the guards: a guard is a courtesy, the check is the judge. Guards are tested as the learner.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from typing import Any

from kubernetes.client import ApiClient

import validators
from challenges.services import authoring
from tests.live.test_challenges_live import (
    apply,
    as_learner,
    broken,
    kubectl,
    load,
    refused,
    results_after,
)

__all__ = [
    "Obj",
    "apply",
    "as_learner",
    "assert_fails",
    "assert_passes",
    "broken",
    "decoded",
    "document",
    "kubectl",
    "load",
    "refused",
    "results_after",
    "solve",
    "tls_secret",
]

Obj = dict[str, Any]


def document(challenge: authoring.LoadedChallenge, folder: str, kind: str, name: str) -> Obj:
    """A copy of one object of the challenge's manifests/, guards/ or solution/."""
    for file in challenge.definition[folder]:
        for doc in file["documents"]:
            if doc.get("kind") == kind and (doc.get("metadata") or {}).get("name") == name:
                return copy.deepcopy(dict(doc))
    raise AssertionError(f"{challenge.slug}/{folder} has no {kind} {name}")


def decoded(secret: Obj, key: str) -> bytes:
    return base64.b64decode(secret["data"][key])


def tls_secret(name: str, crt: bytes, key: bytes, *, type: str = "kubernetes.io/tls") -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name},
        "type": type,
        "data": {"tls.crt": base64.b64encode(crt).decode(), "tls.key": base64.b64encode(key).decode()},
    }


def solve(api: ApiClient, challenge: authoring.LoadedChallenge, namespace: str) -> None:
    authoring.challenge_apply(api_client=api, challenge=challenge, namespace=namespace, solution=True)


def assert_passes(
    api: ApiClient, challenge: authoring.LoadedChallenge, namespace: str
) -> dict[str, validators.ObjectiveResult]:
    results = results_after(api, challenge, namespace, want_pass=True)
    assert all(r.passed for r in results.values()), {k: r.message for k, r in results.items()}
    return results


def assert_fails(
    api: ApiClient,
    challenge: authoring.LoadedChallenge,
    namespace: str,
    key: str,
    fragment: str,
    *,
    settled: Callable[[dict[str, validators.ObjectiveResult]], bool] | None = None,
) -> dict[str, validators.ObjectiveResult]:
    """`key` fails naming `fragment` (once the shortcut's own effect shows, or `settled` says so)."""
    results = results_after(
        api, challenge, namespace, want_pass=False, key=key, fragment=fragment, settled=settled
    )
    assert not results[key].passed, results[key].message
    assert fragment in results[key].message, results[key].message
    return results
