from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest

import validators
from tests.validators.fakes import FakeView, meta

PASSWORD = b"s3cret-Orders!"
DIGEST = hashlib.sha256(PASSWORD).hexdigest()
SPEC = {"name": "orders-db", "type": "Opaque", "keys": [{"key": "password", "sha256": DIGEST}]}


def run(spec: dict[str, Any], view: FakeView) -> validators.Result:
    return validators.evaluate("secret", spec, view)


def secret(data: dict[str, bytes], *, kind: str = "Opaque", name: str = "orders-db") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": meta(name),
        "type": kind,
        "data": {key: base64.b64encode(value).decode() for key, value in data.items()},
    }


def test_it_passes_a_secret_with_the_expected_value() -> None:
    result = run(SPEC, FakeView([secret({"password": PASSWORD})]))
    assert result.passed
    assert result.message == "Secret orders-db (Opaque) holds password with the expected values."


def test_it_passes_keys_without_digests_whatever_they_hold() -> None:
    result = run({"name": "orders-db", "keys": [{"key": "password"}]}, FakeView([secret({"password": b"x"})]))
    assert result.message == "Secret orders-db (Opaque) holds password."


def test_it_fails_without_the_secret() -> None:
    assert run(SPEC, FakeView()).message == "There is no Secret named orders-db yet."


def test_it_names_the_keys_a_secret_holds_when_one_is_missing() -> None:
    result = run(SPEC, FakeView([secret({"DB_PASSWORD": PASSWORD, "user": b"orders"})]))
    assert result.message == "Secret orders-db has no key password (it holds DB_PASSWORD, user)."


def test_it_refuses_another_type() -> None:
    view = FakeView([secret({"password": PASSWORD}, kind="kubernetes.io/basic-auth")])
    assert run(SPEC, view).message == (
        "Secret orders-db is of type kubernetes.io/basic-auth; the check expects type Opaque."
    )


def test_it_names_a_trailing_newline_without_showing_the_value() -> None:
    result = run(SPEC, FakeView([secret({"password": PASSWORD + b"\n"})]))
    assert not result.passed
    assert "ends with a newline" in result.message
    assert PASSWORD.decode() not in result.message


def test_it_names_a_value_encoded_twice() -> None:
    result = run(SPEC, FakeView([secret({"password": base64.b64encode(PASSWORD)})]))
    assert "is base64-encoded twice" in result.message


def test_it_says_only_that_another_value_differs() -> None:
    result = run(SPEC, FakeView([secret({"password": b"guess"})]))
    assert result.message == "The value of password in Secret orders-db is not the value the check expects."
    assert "guess" not in str(result.details)


def test_it_refuses_a_digest_that_is_not_one() -> None:
    with pytest.raises(validators.SpecInvalid, match="sha256 must be 64 hexadecimal digits"):
        validators.validate_spec("secret", {"name": "a", "keys": [{"key": "b", "sha256": "md5:abc"}]})
