"""Learner kubeconfigs are encrypted at rest with the configured key."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from challenges import secrets

KUBECONFIG = "apiVersion: v1\nkind: Config\nusers: [{name: learner, user: {token: sekrit-token}}]\n"


def test_it_round_trips() -> None:
    assert secrets.decrypt(secrets.encrypt(KUBECONFIG)) == KUBECONFIG


def test_the_stored_bytes_do_not_hold_the_token() -> None:
    assert b"sekrit-token" not in secrets.encrypt(KUBECONFIG)


def test_it_reads_what_the_database_hands_back_as_a_memoryview() -> None:
    assert secrets.decrypt(memoryview(secrets.encrypt(KUBECONFIG))) == KUBECONFIG


def test_it_uses_the_configured_key() -> None:
    key = Fernet.generate_key().decode()
    with override_settings(BREAKFIX_ENCRYPTION_KEY=key):
        token = secrets.encrypt(KUBECONFIG)
    assert Fernet(key).decrypt(token).decode() == KUBECONFIG
    with pytest.raises(secrets.SecretUnreadable):
        secrets.decrypt(token)  # the key derived from SECRET_KEY cannot read it


def test_an_old_key_still_decrypts_after_rotation() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(BREAKFIX_ENCRYPTION_KEY=old):
        token = secrets.encrypt(KUBECONFIG)
    with override_settings(BREAKFIX_ENCRYPTION_KEY=f"{new},{old}"):
        assert secrets.decrypt(token) == KUBECONFIG


def test_a_malformed_key_is_a_configuration_error_that_does_not_echo_it() -> None:
    with (
        override_settings(BREAKFIX_ENCRYPTION_KEY="not-a-key"),
        pytest.raises(ImproperlyConfigured) as caught,
    ):
        secrets.encrypt(KUBECONFIG)
    assert "not-a-key" not in str(caught.value)


def test_an_unreadable_secret_does_not_leak_into_the_message() -> None:
    with pytest.raises(secrets.SecretUnreadable) as caught:
        secrets.decrypt(b"sekrit-token")
    assert "sekrit" not in str(caught.value)
