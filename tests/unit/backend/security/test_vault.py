"""Vault: envelope encryption round trips, tamper/AD failures, rotation, key loading, masking."""

from __future__ import annotations

import base64
import logging
import os
import stat
from pathlib import Path

import pytest

from backend.security.vault import KeyRing, Vault, VaultError, load_or_create_keyring, mask_secret

SECRET = "sk-proj-SuperSecretValue1234567890abcd"
AD = "ws_1:conn_1"


def _key_b64(fill: int) -> str:
    return base64.urlsafe_b64encode(bytes([fill]) * 32).rstrip(b"=").decode()


K1 = f"k1:{_key_b64(1)}"
K2 = f"k2:{_key_b64(2)}"


def _vault(spec: str = K1) -> Vault:
    return Vault(KeyRing.from_env_string(spec))


def _flip(token: str, part: int, byte_index: int = 0) -> str:
    parts = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(parts[part] + "=" * (-len(parts[part]) % 4)))
    raw[byte_index] ^= 0x01
    parts[part] = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    return ".".join(parts)


def test_round_trip_and_token_shape() -> None:
    vault = _vault()
    token = vault.encrypt(SECRET, associated_data=AD)
    parts = token.split(".")
    assert len(parts) == 5 and parts[:2] == ["v1", "k1"]
    assert "=" not in token and SECRET not in token
    assert vault.decrypt(token, associated_data=AD) == SECRET


def test_round_trip_unicode_and_empty() -> None:
    vault = _vault()
    for text in ("", "ключ-🔑"):
        assert vault.decrypt(vault.encrypt(text, associated_data=AD), associated_data=AD) == text


def test_each_encryption_gives_a_different_token() -> None:
    vault = _vault()
    tokens = {vault.encrypt(SECRET, associated_data=AD) for _ in range(5)}
    assert len(tokens) == 5


@pytest.mark.parametrize(("part", "index"), [(2, 0), (3, 0), (3, 20), (4, 0), (4, -1)])
def test_tampered_token_fails(part: int, index: int) -> None:
    vault = _vault()
    token = vault.encrypt(SECRET, associated_data=AD)
    with pytest.raises(VaultError) as err:
        vault.decrypt(_flip(token, part, index), associated_data=AD)
    assert SECRET not in str(err.value) and SECRET not in repr(err.value)


@pytest.mark.parametrize(
    "bad",
    ["", "v1", "v2.k1.a.b.c", "v1.k1.a.b", "v1.k1.!!.b.c", "v1.k:1.a.b.c", "v1.k1.a.b.c.d"],
)
def test_malformed_token_fails(bad: str) -> None:
    with pytest.raises(VaultError):
        _vault().decrypt(bad, associated_data=AD)


def test_token_copied_to_another_record_fails() -> None:
    vault = _vault()
    token = vault.encrypt(SECRET, associated_data="ws_1:conn_1")
    for other in ("ws_1:conn_2", "ws_2:conn_1"):
        with pytest.raises(VaultError) as err:
            vault.decrypt(token, associated_data=other)
        assert SECRET not in str(err.value)


def test_unknown_key_id_fails() -> None:
    token = _vault(K2).encrypt(SECRET, associated_data=AD)
    with pytest.raises(VaultError):
        _vault(K1).decrypt(token, associated_data=AD)


def test_swapping_key_id_fails() -> None:
    token = _vault(f"{K1},{K2}").encrypt(SECRET, associated_data=AD)
    swapped = token.replace("v1.k1.", "v1.k2.", 1)
    with pytest.raises(VaultError):
        _vault(f"{K1},{K2}").decrypt(swapped, associated_data=AD)


def test_rotation_from_old_key_to_new_key() -> None:
    old_token = _vault(K1).encrypt(SECRET, associated_data=AD)
    ring = _vault(f"{K2},{K1}")
    assert ring.decrypt(old_token, associated_data=AD) == SECRET
    assert ring.needs_rotation(old_token) is True

    new_token = ring.rotate(old_token, associated_data=AD)
    assert new_token.split(".")[1] == "k2"
    assert ring.needs_rotation(new_token) is False
    assert ring.decrypt(new_token, associated_data=AD) == SECRET
    with pytest.raises(VaultError):
        _vault(K1).decrypt(new_token, associated_data=AD)


def test_rotate_refuses_wrong_record_and_tampered_token() -> None:
    ring = _vault(f"{K2},{K1}")
    old_token = _vault(K1).encrypt(SECRET, associated_data=AD)
    with pytest.raises(VaultError):
        ring.rotate(old_token, associated_data="ws_1:other")
    with pytest.raises(VaultError):
        ring.rotate(_flip(old_token, 4), associated_data=AD)


def test_encrypt_requires_associated_data() -> None:
    with pytest.raises(VaultError):
        _vault().encrypt(SECRET, associated_data="")


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "   ",
        _key_b64(1),  # no key id
        f"k.1:{_key_b64(1)}",  # '.' in id
        f"{'k' * 33}:{_key_b64(1)}",  # id too long
        f"k1:{_key_b64(1)},k1:{_key_b64(2)}",  # duplicate id
        "k1:" + base64.urlsafe_b64encode(b"\x07" * 16).decode(),  # 16-byte key
        "k1:" + base64.urlsafe_b64encode(b"\x07" * 33).decode(),  # 33-byte key
        "k1:not*base64*at*all*but*long*enough*to*look*like*a*key",
        f"k1:{_key_b64(1)},",  # empty trailing entry
    ],
)
def test_malformed_key_strings_are_rejected_without_key_material(spec: str) -> None:
    with pytest.raises(VaultError) as err:
        KeyRing.from_env_string(spec)
    message = str(err.value)
    assert "AGENTHUB_MASTER_KEYS" in message
    for fragment in (_key_b64(1), _key_b64(2), "not*base64", base64.urlsafe_b64encode(b"\x07" * 16).decode()):
        assert fragment not in message


def test_padded_keys_and_generated_keys_are_accepted() -> None:
    padded = "k1:" + base64.urlsafe_b64encode(b"\x05" * 32).decode()
    assert KeyRing.from_env_string(padded).current_key_id == "k1"
    generated = KeyRing.generate_key_string("2025-01_a")
    ring = KeyRing.from_env_string(f" {generated} , {K1} ")
    assert ring.current_key_id == "2025-01_a" and ring.key_ids == ("2025-01_a", "k1")
    assert KeyRing.generate_key_string("x") != KeyRing.generate_key_string("x")
    with pytest.raises(VaultError):
        KeyRing.generate_key_string("bad:id")


def test_repr_never_shows_keys_or_plaintext() -> None:
    ring = KeyRing.from_env_string(f"{K1},{K2}")
    vault = Vault(ring)
    vault.encrypt(SECRET, associated_data=AD)
    for text in (repr(ring), repr(vault), str(vault)):
        assert _key_b64(1) not in text and _key_b64(2) not in text and SECRET not in text
        assert "k1" in text
    assert "\\x01" not in repr(ring)


def test_dev_keyring_file_created_once_with_0600(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    data_dir = tmp_path / "data"
    with caplog.at_level(logging.WARNING, logger="backend.security.vault"):
        ring = load_or_create_keyring(env_value=None, data_dir=data_dir, production=False)
    key_file = data_dir / "master.keys"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    file_key = key_file.read_text().strip().split(":", 1)[1]
    assert str(key_file) in caplog.text and "AGENTHUB_MASTER_KEYS" in caplog.text
    assert file_key not in caplog.text

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="backend.security.vault"):
        again = load_or_create_keyring(env_value="", data_dir=data_dir, production=False)
    assert caplog.text == ""
    token = Vault(ring).encrypt(SECRET, associated_data=AD)
    assert Vault(again).decrypt(token, associated_data=AD) == SECRET


def test_env_value_wins_over_dev_file(tmp_path: Path) -> None:
    ring = load_or_create_keyring(env_value=K2, data_dir=tmp_path, production=True)
    assert ring.current_key_id == "k2"
    assert not (tmp_path / "master.keys").exists()


def test_production_without_env_raises(tmp_path: Path) -> None:
    for env_value in (None, "", "  "):
        with pytest.raises(VaultError, match="AGENTHUB_MASTER_KEYS is required in production"):
            load_or_create_keyring(env_value=env_value, data_dir=tmp_path, production=True)
    assert not (tmp_path / "master.keys").exists()


@pytest.mark.parametrize(
    ("secret", "expected"),
    [
        ("sk-abcdefghijklmnopa1b2", "sk-…a1b2"),
        ("sk-ant-api03-abcdefghijklmnop9z9z", "sk-ant-…9z9z"),
        ("sk-proj-abcdefghijklmnopWXYZ", "sk-proj-…WXYZ"),
        ("gsk_abcdefghijklmnop1234", "gsk_…1234"),
        ("AIzaSyAbcdefghijklmnop5678", "AIza…5678"),
        ("xai-abcdefghijklmnop0000", "xai-…0000"),
        ("plainkeywithoutprefix7777", "…7777"),
        ("sk-abc12345", "sk-…2345"),
        ("sk-abc1234", "…1234"),  # prefix dropped: under 4 chars would stay hidden
        ("abcdefgh", "…efgh"),
        ("abc1234", "••••"),
        ("  ", ""),
        ("", ""),
    ],
)
def test_mask_secret(secret: str, expected: str) -> None:
    assert mask_secret(secret) == expected
