"""Reading a TLS Secret the way a client and an ingress controller would judge it.

Host names are matched against the certificate's subjectAltName DNS names only, as
RFC 6125 §6.4 and every current client do (the common name is ignored once a
certificate has SANs, and modern clients ignore it always). A wildcard is a whole
left-most label and stands for exactly one label: `*.shop.example.com` covers
`www.shop.example.com`, not `shop.example.com` nor `a.b.shop.example.com`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes


class CertificateProblem(Exception):
    """What is wrong with a certificate or key, as a sentence fragment naming no secret value."""


@dataclass(frozen=True)
class Certificate:
    dns_names: tuple[str, ...]
    not_before: datetime
    not_after: datetime
    subject: str
    public_key: bytes  # SubjectPublicKeyInfo, DER


def _normal(name: str) -> str:
    return name.strip().rstrip(".").lower()


def covers(pattern: str, host: str) -> bool:
    """Whether one SAN DNS name covers a host (itself possibly a wildcard host of an Ingress rule)."""
    pattern, host = _normal(pattern), _normal(host)
    if not pattern or not host:
        return False
    if host.startswith("*."):
        # A wildcard host is served only by a certificate for that very wildcard.
        return pattern == host
    if "*" not in pattern:
        return pattern == host
    label, _, rest = pattern.partition(".")
    if label != "*" or "*" in rest or rest.count(".") < 1:
        return False  # partial or nested wildcards, or `*.com`: clients refuse them
    first, _, host_rest = host.partition(".")
    return bool(first) and host_rest == rest


def load_certificate(pem: bytes) -> Certificate:
    """The first (leaf) certificate of a PEM chain."""
    try:
        chain = x509.load_pem_x509_certificates(pem)
    except ValueError:
        raise CertificateProblem("is not a PEM-encoded certificate") from None
    if not chain:
        raise CertificateProblem("holds no certificate")
    leaf = chain[0]
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = tuple(san.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        names = ()
    public_key = leaf.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return Certificate(
        dns_names=names,
        not_before=leaf.not_valid_before_utc,
        not_after=leaf.not_valid_after_utc,
        subject=leaf.subject.rfc4514_string(),
        public_key=public_key,
    )


def key_matches(pem: bytes, certificate: Certificate) -> bool:
    """Whether the private key is the one the certificate was issued for (same public key)."""
    try:
        key: PrivateKeyTypes = serialization.load_pem_private_key(pem, password=None)
    except TypeError:
        raise CertificateProblem(
            "is encrypted with a passphrase, which an ingress controller cannot use"
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise CertificateProblem("is not a PEM-encoded private key") from None
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return public == certificate.public_key
