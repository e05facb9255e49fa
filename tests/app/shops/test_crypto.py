"""Tokens at rest: encrypted with Fernet; a key is required in production; keys rotate."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from app.shops.crypto import KEY_FILE, EncryptionKeyMissing, TokenCipher, encryption_keys


def test_production_refuses_to_start_without_a_key(settings):
    production = settings.model_copy(update={"dangol_env": "production", "dangol_encryption_key": None})
    with pytest.raises(EncryptionKeyMissing):
        encryption_keys(production)
    assert not (production.var_dir / KEY_FILE).exists()


def test_development_generates_one_key_and_keeps_it(settings):
    first = encryption_keys(settings)
    assert encryption_keys(settings) == first
    assert (settings.var_dir / KEY_FILE).read_text().strip() == first


def test_a_stored_token_is_not_the_token_and_reads_back():
    cipher = TokenCipher(Fernet.generate_key().decode())
    stored = cipher.encrypt("shpat_secret")
    assert "shpat_secret" not in stored
    assert cipher.decrypt(stored) == "shpat_secret"


def test_a_new_key_first_still_reads_tokens_stored_under_the_old_one(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    stored_before = TokenCipher(old).encrypt("shpat_before")
    rotated = TokenCipher(
        encryption_keys(settings.model_copy(update={"dangol_encryption_key": SecretStr(f"{new},{old}")}))
    )
    assert rotated.decrypt(stored_before) == "shpat_before"
    # new tokens are written under the new key, which alone reads them
    assert TokenCipher(new).decrypt(rotated.encrypt("shpat_after")) == "shpat_after"
    with pytest.raises(ValueError, match="cannot be decrypted"):
        TokenCipher(old).decrypt(rotated.encrypt("shpat_after"))
