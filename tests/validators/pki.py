"""Certificates made on the spot for the TLS checks: self-signed, EC keys (fast), any dates and names."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(private: ec.EllipticCurvePrivateKey, *, passphrase: bytes | None = None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    return private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def cert_pem(
    private: ec.EllipticCurvePrivateKey,
    dns_names: Iterable[str],
    *,
    common_name: str = "breakfix test",
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
) -> bytes:
    now = datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from or now - timedelta(days=1))
        .not_valid_after(valid_until or now + timedelta(days=90))
    )
    names = [x509.DNSName(n) for n in dns_names]
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(private, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def tls_data(crt: bytes, key_bytes: bytes) -> dict[str, str]:
    return {
        "tls.crt": base64.b64encode(crt).decode(),
        "tls.key": base64.b64encode(key_bytes).decode(),
    }


def tls_secret(name: str, crt: bytes, key_bytes: bytes, *, type: str = "kubernetes.io/tls") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name},
        "type": type,
        "data": tls_data(crt, key_bytes),
    }


def for_hosts(name: str, *hosts: str, **dates: Any) -> dict[str, Any]:
    """A valid kubernetes.io/tls Secret for these hosts."""
    private = key()
    return tls_secret(name, cert_pem(private, hosts, **dates), key_pem(private))
