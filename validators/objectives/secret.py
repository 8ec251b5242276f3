"""`secret`: a Secret exists, of the right type, with the keys an application reads.

A key may carry the SHA-256 of the value it must hold (a password the database already
knows, say): the value is compared by digest and never shown. When it differs, the two
mistakes people make most when they write a Secret by hand are named: a value that ends
with a newline (`echo` without `-n`, a file saved by an editor) and a value base64-encoded
twice (encoded text put under `stringData`, or encoded again under `data`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re

from pydantic import Field, field_validator

from validators.registry import register
from validators.result import Result
from validators.spec import Spec
from validators.view import View

HEX_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class SecretKey(Spec):
    """`key`: a key of the Secret's data; `sha256`: the hex digest its value must have (optional)."""

    key: str = Field(min_length=1, max_length=253)
    sha256: str | None = None

    @field_validator("sha256")
    @classmethod
    def _a_digest(cls, value: str | None) -> str | None:
        if value is not None and not HEX_DIGEST.match(value.lower()):
            raise ValueError("sha256 must be 64 hexadecimal digits")
        return value.lower() if value else value


class SecretSpec(Spec):
    """`name`: the Secret; `type`: the type it must have (optional); `keys`: what it must hold."""

    name: str = Field(min_length=1)
    type: str | None = None
    keys: list[SecretKey] = Field(min_length=1)


def _digest(value: bytes) -> str:
    return hashlib.sha256(value).hexdigest()


def _why_different(value: bytes, wanted: str) -> str:
    if _digest(value.rstrip(b"\r\n")) == wanted:
        return "ends with a newline that the application would read as part of it"
    try:
        decoded = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        decoded = None
    if decoded is not None and wanted in (_digest(decoded), _digest(decoded.rstrip(b"\r\n"))):
        return (
            "is base64-encoded twice: under data, give the value base64-encoded once; under "
            "stringData, give it as plain text"
        )
    return "is not the value the check expects"


@register("secret", SecretSpec)
def check_secret(spec: SecretSpec, view: View) -> Result:
    secret = view.get("Secret", spec.name)
    if secret is None:
        return Result.fail(f"There is no Secret named {spec.name} yet.")
    kind = str(secret.get("type") or "Opaque")
    if spec.type and kind != spec.type:
        return Result.fail(f"Secret {spec.name} is of type {kind}; the check expects type {spec.type}.")
    held = sorted(secret.get("data") or {})
    for wanted in spec.keys:
        value = view.secret_value(spec.name, wanted.key)
        if value is None:
            listed = ", ".join(held) if held else "no keys at all"
            return Result.fail(f"Secret {spec.name} has no key {wanted.key} (it holds {listed}).", keys=held)
        if wanted.sha256 and _digest(value) != wanted.sha256:
            why = _why_different(value, wanted.sha256)
            return Result.fail(f"The value of {wanted.key} in Secret {spec.name} {why}.", keys=held)
    names = ", ".join(k.key for k in spec.keys)
    checked = " with the expected values" if any(k.sha256 for k in spec.keys) else ""
    return Result.ok(f"Secret {spec.name} ({kind}) holds {names}{checked}.", keys=held)
