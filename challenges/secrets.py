"""Encryption at rest of learner kubeconfigs (Fernet).

The key is BREAKFIX_ENCRYPTION_KEY: one Fernet key, or several separated by commas to rotate
(the first encrypts, any decrypts). Unset, a key is derived from SECRET_KEY, so rotating the
secret key makes stored kubeconfigs unreadable; they live no longer than their attempt anyway.
Plain text never reaches a log or an exception message.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted with the configured keys."""


def _derived_key() -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"breakfix learner kubeconfig")
    return base64.urlsafe_b64encode(hkdf.derive(settings.SECRET_KEY.encode()))


def _fernet() -> MultiFernet:
    keys = [key.strip() for key in settings.BREAKFIX_ENCRYPTION_KEY.split(",") if key.strip()]
    try:
        return MultiFernet([Fernet(key) for key in keys] or [Fernet(_derived_key())])
    except ValueError:
        raise ImproperlyConfigured(
            "BREAKFIX_ENCRYPTION_KEY must be a Fernet key (32 url-safe base64-encoded bytes); make one with "
            '`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`'
        ) from None


def encrypt(text: str) -> bytes:
    return _fernet().encrypt(text.encode())


def decrypt(token: bytes | memoryview) -> str:
    try:
        return _fernet().decrypt(bytes(token)).decode()
    except InvalidToken:
        raise SecretUnreadable("The stored secret cannot be decrypted with the configured key.") from None
