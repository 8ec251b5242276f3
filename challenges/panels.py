"""What the workspace's tool panels show: reads for the attempt page's includes and their views."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import yaml
from django.conf import settings

from challenges import selectors
from challenges.models import Attempt, Status
from challenges.secrets import SecretUnreadable
from challenges.services import hints
from challenges.services.attempts import AttemptError, attempt_learner_kubeconfig


def hints_context(attempt: Attempt) -> dict[str, object]:
    every = attempt.version.hints()
    context: dict[str, object] = {
        "attempt": attempt,
        "hints": every[: attempt.hints_unlocked],
        "hints_total": len(every),
        "next_hint": attempt.hints_unlocked + 1 if attempt.hints_unlocked < len(every) else None,
        "solution_visible": hints.solution_visible(attempt=attempt),
    }
    if attempt.solved_at:
        progress = selectors.progress_by_challenge(learner=attempt.learner)
        context["earned"] = selectors.attempt_xp(attempt=attempt)
        context["standing"] = selectors.learner_standing(progress=progress)
    return context


def _private_host(server: str) -> bool:
    """Whether an API server address is one only the Breakfix server itself (or its network) can reach."""
    host = urlsplit(server).hostname or ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        # A name: internal when it is local, a cluster-internal suffix, or has no dot at all.
        return host == "localhost" or "." not in host or host.endswith((".local", ".internal", ".svc"))
    return address.is_loopback or address.is_private or address.is_link_local


def kubeconfig_reach(kubeconfig: str) -> str:
    """How a learner's computer can reach the cluster: "direct", "private" (maybe not), or "console" only.

    BREAKFIX_KUBECONFIG_DOWNLOAD decides: "on" offers the download, "off" never does (the
    cluster is reachable through the console only), "auto" offers it with a note when the API
    server's address is loopback or internal.
    """
    mode = settings.BREAKFIX_KUBECONFIG_DOWNLOAD
    if mode == "off":
        return "console"
    if mode == "on":
        return "direct"
    server = server_of(kubeconfig)
    return "private" if not server or _private_host(server) else "direct"


def server_of(kubeconfig: str) -> str:
    """The API server address of a (single-cluster) kubeconfig, or ""."""
    try:
        return str(yaml.safe_load(kubeconfig)["clusters"][0]["cluster"]["server"])
    except (yaml.YAMLError, KeyError, IndexError, TypeError):
        return ""


def kubeconfig_context(attempt: Attempt) -> dict[str, object]:
    context: dict[str, object] = {"attempt": attempt, "reach": "console", "server": ""}
    if settings.BREAKFIX_KUBECONFIG_DOWNLOAD == "off" or attempt.status not in (Status.READY, Status.SOLVED):
        return context
    try:
        text = attempt_learner_kubeconfig(attempt=attempt)
    except (AttemptError, SecretUnreadable):
        return context
    context["reach"] = kubeconfig_reach(text)
    context["server"] = server_of(text)
    return context
