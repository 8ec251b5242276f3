"""The attempt page's reads: one context for the view, built here, that the templates only render.

`attempt_page` is the whole page: the status, the objectives with the latest check, and, while
the environment runs, each tool's panel (console history, hints and progress, the kubeconfig).
The polled parts and the tools' own views take the piece they show. Who reaches an attempt is
the rule of `Attempt.objects.of_learner`.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

import yaml
from django.conf import settings
from django.utils.module_loading import import_string

from challenges import selectors
from challenges.console.selectors import console_panel
from challenges.models import Attempt
from challenges.secrets import SecretUnreadable
from challenges.services import hints
from challenges.services.attempts import AttemptError, attempt_learner_kubeconfig


def attempt_page(*, attempt: Attempt) -> dict[str, Any]:
    context = {**status_context(attempt), **checks_context(attempt)}
    if attempt.is_workspace_open:
        context["console"] = console_panel(attempt=attempt)
        context["panel"] = hints_context(attempt)
        context["kc"] = kubeconfig_context(attempt)
        context.update(notices_context(attempt))
    return context


def status_context(attempt: Attempt) -> dict[str, Any]:
    """The status panel: with, for a failed attempt, the one the learner started since (if any),
    which takes the place of its Retry."""
    context: dict[str, Any] = {"attempt": attempt, "challenge": attempt.challenge}
    if attempt.has_failed:
        context["successor"] = (
            Attempt.objects.filter(learner_id=attempt.learner_id, challenge_id=attempt.challenge_id)
            .filter(pk__gt=attempt.pk)
            .order_by("-pk")
            .first()
        )
    return context


def checks_context(attempt: Attempt) -> dict[str, Any]:
    """The objectives of the version the attempt runs, each with its result in the latest check."""
    check, objectives = attempt.objective_results()
    return {
        "attempt": attempt,
        "challenge": attempt.challenge,
        "objectives": objectives,
        "situation": attempt.version.initial_situation(),
        "check": check,
    }


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
    if settings.BREAKFIX_KUBECONFIG_DOWNLOAD == "off" or not attempt.is_workspace_open:
        return context
    try:
        text = attempt_learner_kubeconfig(attempt=attempt)
    except (AttemptError, SecretUnreadable):
        return context
    context["reach"] = kubeconfig_reach(text)
    context["server"] = server_of(text)
    return context


def notices_context(attempt: Attempt) -> dict[str, object]:
    """What the apps above challenges tell the learner (BREAKFIX_WORKSPACE_NOTICES), newest first."""
    found: list[dict[str, object]] = []
    for path in settings.BREAKFIX_WORKSPACE_NOTICES:
        found += import_string(path)(attempt)
    return {"attempt": attempt, "notices": found}
