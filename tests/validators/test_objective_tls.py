from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import validators
from tests.validators import pki
from tests.validators.fakes import FakeView, meta
from validators import certs


def run(spec: dict[str, Any], view: FakeView) -> validators.Result:
    return validators.evaluate("tls", spec, view)


SPEC = {"ingress": "shop"}
HOSTS = ("shop.example.com", "www.shop.example.com")


def ingress(*hosts: str, tls: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    backend = {"service": {"name": "web", "port": {"number": 80}}}
    rules = [
        {"host": h, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}
        for h in hosts
    ]
    spec: dict[str, Any] = {"rules": rules}
    if tls is not None:
        spec["tls"] = tls
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta("shop"), "spec": spec}


def secret(obj: dict[str, Any]) -> dict[str, Any]:
    return {**obj, "metadata": meta(obj["metadata"]["name"])}


def world(secret_obj: dict[str, Any] | None, *, hosts: tuple[str, ...] = HOSTS) -> FakeView:
    objects = [ingress(*hosts, tls=[{"hosts": list(hosts), "secretName": "web-tls"}])]
    if secret_obj is not None:
        objects.append(secret(secret_obj))
    return FakeView(objects)


def test_it_passes_a_valid_certificate_for_every_host() -> None:
    view = world(pki.for_hosts("web-tls", *HOSTS))
    result = run(SPEC, view)
    assert result.passed, result.message
    assert result.message.startswith(
        "Ingress shop serves shop.example.com and www.shop.example.com over TLS with a valid certificate "
        "(Secret web-tls, valid until "
    )


def test_it_names_the_host_a_certificate_does_not_cover() -> None:
    view = world(pki.for_hosts("web-tls", "shop.example.com"))
    assert run(SPEC, view).message == (
        "For host www.shop.example.com: the certificate in Secret web-tls covers shop.example.com, "
        "not www.shop.example.com."
    )


def test_a_wildcard_covers_one_label_only() -> None:
    view = world(pki.for_hosts("web-tls", "*.example.com"))
    assert run(SPEC, view).message == (
        "For host www.shop.example.com: the certificate in Secret web-tls covers *.example.com, "
        "not www.shop.example.com."
    )
    assert run({"ingress": "shop", "hosts": ["shop.example.com"]}, view).passed


def test_it_fails_an_expired_certificate_with_its_date() -> None:
    expired = datetime.now(UTC) - timedelta(days=61)
    view = world(
        pki.for_hosts("web-tls", *HOSTS, valid_from=expired - timedelta(days=30), valid_until=expired)
    )
    assert run(SPEC, view).message == (
        f"For host shop.example.com: the certificate in Secret web-tls expired on {expired:%Y-%m-%d}."
    )


def test_it_fails_a_certificate_not_valid_yet() -> None:
    later = datetime.now(UTC) + timedelta(days=3)
    view = world(pki.for_hosts("web-tls", *HOSTS, valid_from=later, valid_until=later + timedelta(days=9)))
    assert run(SPEC, view).message.endswith(f"is not valid until {later:%Y-%m-%d}.")


def test_it_fails_a_key_that_belongs_to_another_certificate() -> None:
    crt = pki.cert_pem(pki.key(), HOSTS)
    view = world(pki.tls_secret("web-tls", crt, pki.key_pem(pki.key())))
    assert run(SPEC, view).message == (
        "For host shop.example.com: the private key in Secret web-tls does not belong to its certificate."
    )


def test_it_fails_an_encrypted_key() -> None:
    private = pki.key()
    view = world(
        pki.tls_secret("web-tls", pki.cert_pem(private, HOSTS), pki.key_pem(private, passphrase=b"x"))
    )
    assert run(SPEC, view).message.endswith(
        "the tls.key in Secret web-tls is encrypted with a passphrase, "
        "which an ingress controller cannot use."
    )


def test_it_fails_an_opaque_secret() -> None:
    private = pki.key()
    opaque = pki.tls_secret("web-tls", pki.cert_pem(private, HOSTS), pki.key_pem(private), type="Opaque")
    assert run(SPEC, world(opaque)).message == (
        "For host shop.example.com: Secret web-tls is of type Opaque; an Ingress needs a Secret of type "
        "kubernetes.io/tls (holding tls.crt and tls.key)."
    )


def test_it_fails_a_missing_secret_and_garbage_in_it() -> None:
    assert run(SPEC, world(None)).message == "For host shop.example.com: Secret web-tls does not exist."
    garbage = pki.tls_secret("web-tls", b"not a certificate", b"nor a key")
    assert run(SPEC, world(garbage)).message == (
        "For host shop.example.com: the tls.crt in Secret web-tls is not a PEM-encoded certificate."
    )


def test_it_ignores_the_common_name() -> None:
    private = pki.key()
    crt = pki.cert_pem(private, (), common_name="shop.example.com")
    view = world(pki.tls_secret("web-tls", crt, pki.key_pem(private)))
    assert run(SPEC, view).message == (
        "For host shop.example.com: the certificate in Secret web-tls names no host in its subjectAltName "
        "(only CN=shop.example.com); clients ignore the common name, so it does not cover shop.example.com."
    )


def test_it_fails_a_host_without_a_tls_entry() -> None:
    view = FakeView(
        [
            ingress(*HOSTS, tls=[{"hosts": ["shop.example.com"], "secretName": "web-tls"}]),
            secret(pki.for_hosts("web-tls", *HOSTS)),
        ]
    )
    assert run(SPEC, view).message == (
        "Ingress shop has no TLS entry for host www.shop.example.com, so www.shop.example.com is served "
        "without HTTPS."
    )


def test_it_fails_when_the_tls_section_was_removed_for_the_hosts_it_must_serve() -> None:
    view = FakeView([ingress(*HOSTS)])
    assert run({"ingress": "shop", "hosts": ["shop.example.com"]}, view).message.startswith(
        "Ingress shop has no TLS entry for host shop.example.com"
    )
    assert run({"ingress": "shop", "hosts": ["api.example.com"]}, view).message == (
        "Ingress shop has no rule for host api.example.com."
    )
    assert run(SPEC, FakeView()).message == "There is no Ingress named shop yet."


def test_it_never_puts_secret_material_in_the_result() -> None:
    obj = pki.for_hosts("web-tls", "shop.example.com")
    result = run(SPEC, world(obj))
    text = repr(result)
    assert obj["data"]["tls.key"][:40] not in text and "PRIVATE KEY" not in text


@pytest.mark.parametrize(
    ("pattern", "host", "covered"),
    [
        ("shop.example.com", "SHOP.example.com.", True),
        ("*.example.com", "www.example.com", True),
        ("*.example.com", "example.com", False),
        ("*.example.com", "a.b.example.com", False),
        ("w*.example.com", "www.example.com", False),
        ("*.com", "example.com", False),
        ("*.example.com", "*.example.com", True),
        ("www.example.com", "*.example.com", False),
    ],
)
def test_host_matching_follows_rfc_6125(pattern: str, host: str, covered: bool) -> None:
    assert certs.covers(pattern, host) is covered
