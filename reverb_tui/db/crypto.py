"""Tokens encrypted at rest: AES-256-GCM, the key kept outside the
database, so a copy or dump of the database alone reveals no token.

The key comes from ``$REVERB_TUI_SECRET`` (headless hosts, and a team sharing one database:
every host sets the same secret) or else from a key file in the platform's config directory
(``secret.key``, 0600 in a 0700 directory), created on first use. Either way the secret is
stretched into the cipher key with HKDF-SHA256, so ``$REVERB_TUI_SECRET`` may be any long
random string.

A stored token reads ``rtenc1:`` + base64url(nonce ‖ ciphertext ‖ tag). A value without the
prefix is a plain token from an older version: it is read as is, and ``encrypt_plain_tokens``
(run on every start) encrypts it in place. A host without the key is told in one sentence
how to provide it and changes nothing; in particular it never makes a key of its own for a
database whose tokens another key encrypted.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import StorageError

if TYPE_CHECKING:  # no SQLAlchemy at import: the TUI's first frame (db/quick.py) decrypts too
    from sqlalchemy.engine import Engine

PREFIX = "rtenc1:"
ENV = "REVERB_TUI_SECRET"
KEY_FILE = "secret.key"
_AAD = b"reverb-tui channel token"
_cache: dict[tuple, bytes] = {}


def key_path() -> Path:
    """Where this host's key file is (or would be created)."""
    from platformdirs import user_config_path

    return user_config_path("reverb-tui", appauthor=False) / KEY_FILE


def key_location() -> str:
    """For ``reverb-tui paths``: the key's source as a person would look for it."""
    if os.environ.get(ENV, "").strip():
        return f"${ENV}"
    return str(key_path())


class KeyMissing(StorageError):
    def __init__(self) -> None:
        super().__init__(
            "The tokens in this database are encrypted with a key this host does not have: "
            f"set ${ENV} to the team's secret, or copy the key file to {key_path()}."
        )


class KeyMismatch(StorageError):
    def __init__(self) -> None:
        super().__init__(
            "The tokens in this database were encrypted with another key than this host's "
            f"({key_location()}): set ${ENV} to the secret the other hosts use, or copy "
            "their key file here."
        )


def _derive(secret: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"reverb-tui/v1", info=b"token key"
    ).derive(secret)


def _load_key(*, create: bool) -> bytes | None:
    env = os.environ.get(ENV, "").strip()
    if env:
        cache_key: tuple = ("env", env)
        if cache_key not in _cache:
            _cache[cache_key] = _derive(env.encode())
        return _cache[cache_key]
    path = key_path()
    try:
        st = path.stat()
    except FileNotFoundError:
        if not create:
            return None
        return _create_key_file(path)
    cache_key = ("file", str(path), st.st_mtime_ns, st.st_size)
    if cache_key not in _cache:
        secret = path.read_bytes().strip()
        if not secret:
            raise StorageError(f"The key file {path} is empty; restore it from a backup.")
        _cache[cache_key] = _derive(secret)
    return _cache[cache_key]


def _create_key_file(path: Path) -> bytes:
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path.parent, 0o700)
        secret = base64.urlsafe_b64encode(os.urandom(32))
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        try:
            os.write(fd, secret + b"\n")
        finally:
            os.close(fd)
    except FileExistsError:  # another process made it first: use theirs
        return _load_key(create=False) or b""
    except OSError as exc:
        raise StorageError(f"Cannot create the key file {path}: {exc.strerror}.") from exc
    return _derive(secret)


def is_encrypted(stored: str | None) -> bool:
    return bool(stored) and str(stored).startswith(PREFIX)


def encrypt(plain: str) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key = _load_key(create=True)
    assert key is not None
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plain.encode(), _AAD)
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(stored: str) -> str:
    if not is_encrypted(stored):
        return stored  # a plain token of an older version, until encrypt_plain_tokens runs
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key = _load_key(create=False)
    if key is None:
        raise KeyMissing()
    try:
        raw = base64.urlsafe_b64decode(stored[len(PREFIX) :])
        return AESGCM(key).decrypt(raw[:12], raw[12:], _AAD).decode()
    except (InvalidTag, ValueError) as exc:
        raise KeyMismatch() from exc


def encrypt_plain_tokens(engine: Engine) -> int:
    """On start: check this host can read the database's tokens, and encrypt the plain ones
    an older version stored. Returns how many were encrypted. Changes nothing when the key
    is missing or wrong."""
    from sqlalchemy import text

    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, token FROM channel")).all()
    if not rows:
        return 0
    sealed = [tok for _id, tok in rows if is_encrypted(tok)]
    if sealed:
        decrypt(sealed[0])  # raises KeyMissing / KeyMismatch before anything is written
    plain = [(cid, tok) for cid, tok in rows if not is_encrypted(tok)]
    if not plain:
        return 0
    _load_key(create=not sealed)
    with engine.begin() as conn:
        for cid, tok in plain:
            conn.execute(
                text("UPDATE channel SET token = :new WHERE id = :id AND token = :old"),
                {"new": encrypt(tok), "id": cid, "old": tok},
            )
    return len(plain)
