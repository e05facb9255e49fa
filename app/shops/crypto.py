"""Encryption of Shopify tokens at rest (Fernet; several keys allow rotating the key)."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from app.core.config import Settings

KEY_FILE = "encryption.key"


class EncryptionKeyMissing(RuntimeError):
    pass


class TokenCipher:
    """`DANGOL_ENCRYPTION_KEY` may list several comma-separated keys: the first encrypts, all decrypt."""

    def __init__(self, keys: str) -> None:
        self._fernet = MultiFernet([Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("token cannot be decrypted with the configured keys") from exc


def encryption_keys(settings: Settings) -> str:
    """The configured key, or in development one generated once into `var/`."""
    if settings.dangol_encryption_key and settings.dangol_encryption_key.get_secret_value():
        return settings.dangol_encryption_key.get_secret_value()
    if settings.dangol_env == "production":
        raise EncryptionKeyMissing("DANGOL_ENCRYPTION_KEY is required in production")
    path = Path(settings.var_dir) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes starting together must not each write a different key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as handle:
            handle.write(Fernet.generate_key().decode())
    return path.read_text().strip()
