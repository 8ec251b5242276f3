"""`tls`: an Ingress serves each of its hosts over TLS with a certificate a browser would accept.

For every host (the Ingress's rule hosts, or the `hosts` given): a TLS entry of the
Ingress lists it; the Secret it names exists, is of type kubernetes.io/tls, and holds
a certificate whose subjectAltName covers the host, that is valid now, and whose
private key is the one in the Secret. Secret values are read only to judge them: no
result carries them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from validators import certs
from validators.registry import register
from validators.result import Result
from validators.spec import Spec
from validators.view import View

Obj = dict[str, Any]


class TlsSpec(Spec):
    """`ingress`: the Ingress by name; `hosts`: the hosts that must be served over HTTPS
    (default: every host its rules name)."""

    ingress: str = Field(min_length=1)
    hosts: list[str] | None = Field(default=None, min_length=1)


def _day(when: datetime) -> str:
    return when.strftime("%Y-%m-%d")


def _names(items: list[str] | tuple[str, ...]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _entry_for(ingress: Obj, host: str) -> Obj | None:
    for entry in (ingress.get("spec") or {}).get("tls") or []:
        hosts = entry.get("hosts") or []
        # An entry without hosts is the controller's default for every host of the Ingress.
        if not hosts or any(certs.covers(listed, host) for listed in hosts):
            return dict(entry)
    return None


def _secret_problem(view: View, secret_name: str, host: str, now: datetime) -> tuple[str | None, Obj]:
    """Why the Secret does not serve `host` (None when it does), and what was learned of it."""
    secret = view.get("Secret", secret_name)
    if secret is None:
        return f"Secret {secret_name} does not exist.", {}
    if secret.get("type") != "kubernetes.io/tls":
        return (
            f"Secret {secret_name} is of type {secret.get('type') or 'Opaque'}; an Ingress needs a Secret of "
            "type kubernetes.io/tls (holding tls.crt and tls.key).",
            {},
        )
    crt, key = view.secret_value(secret_name, "tls.crt"), view.secret_value(secret_name, "tls.key")
    if not crt or not key:
        return f"Secret {secret_name} has no {'tls.crt' if not crt else 'tls.key'}.", {}
    try:
        certificate = certs.load_certificate(crt)
    except certs.CertificateProblem as problem:
        return f"the tls.crt in Secret {secret_name} {problem}.", {}
    facts: Obj = {"dns_names": list(certificate.dns_names), "not_after": certificate.not_after.isoformat()}
    where = f"the certificate in Secret {secret_name}"
    if not certificate.dns_names:
        return (
            f"{where} names no host in its subjectAltName (only {certificate.subject}); clients ignore "
            f"the common name, so it does not cover {host}.",
            facts,
        )
    if not any(certs.covers(name, host) for name in certificate.dns_names):
        return f"{where} covers {_names(certificate.dns_names)}, not {host}.", facts
    if certificate.not_after < now:
        return f"{where} expired on {_day(certificate.not_after)}.", facts
    if certificate.not_before > now:
        return f"{where} is not valid until {_day(certificate.not_before)}.", facts
    try:
        if not certs.key_matches(key, certificate):
            return f"the private key in Secret {secret_name} does not belong to its certificate.", facts
    except certs.CertificateProblem as problem:
        return f"the tls.key in Secret {secret_name} {problem}.", facts
    return None, facts


@register("tls", TlsSpec)
def check_tls(spec: TlsSpec, view: View) -> Result:
    ingress = view.get("Ingress", spec.ingress)
    if ingress is None:
        return Result.fail(f"There is no Ingress named {spec.ingress} yet.")
    rule_hosts = [str(r["host"]) for r in (ingress.get("spec") or {}).get("rules") or [] if r.get("host")]
    hosts = spec.hosts or rule_hosts
    if not hosts:
        return Result.fail(f"Ingress {spec.ingress} names no host, so no certificate can be checked for it.")
    now = datetime.now(UTC)
    judged: dict[str, Obj] = {}
    secrets_used: list[str] = []
    for host in hosts:
        if not any(certs.covers(rule, host) or rule.lower() == host.lower() for rule in rule_hosts):
            return Result.fail(f"Ingress {spec.ingress} has no rule for host {host}.", hosts=judged)
        entry = _entry_for(ingress, host)
        if entry is None:
            return Result.fail(
                f"Ingress {spec.ingress} has no TLS entry for host {host}, "
                f"so {host} is served without HTTPS.",
                hosts=judged,
            )
        secret_name = str(entry.get("secretName") or "")
        if not secret_name:
            return Result.fail(
                f"The TLS entry of Ingress {spec.ingress} for host {host} names no Secret.", hosts=judged
            )
        problem, facts = _secret_problem(view, secret_name, host, now)
        judged[host] = {"secret": secret_name, **facts}
        if problem:
            return Result.fail(f"For host {host}: {problem}", hosts=judged, host=host, secret=secret_name)
        if secret_name not in secrets_used:
            secrets_used.append(secret_name)
    until = min(datetime.fromisoformat(str(j["not_after"])) for j in judged.values())
    which = "Secret" if len(secrets_used) == 1 else "Secrets"
    return Result.ok(
        f"Ingress {spec.ingress} serves {_names(hosts)} over TLS with a valid certificate "
        f"({which} {_names(secrets_used)}, valid until {_day(until)}).",
        hosts=judged,
    )
