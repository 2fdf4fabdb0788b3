"""Encryption of everything a backup writes outside the data folder (issue 21).

Format "LEMARI-CADANGAN-1" (decision in docs/decisions.md), built only from `cryptography`:

- The office holds one X25519 key pair for backups. Its public half sits on the server and
  lets unattended backups encrypt. Its private half is stored only wrapped: AES-256-GCM under
  a key derived from the passphrase with scrypt (N=2^15, r=8, p=1). The passphrase is never
  stored; the office keeps it on paper. Further recipients (the kabupaten's public key) may
  be added: each of them can open every object written after it was added.
- Each file gets a fresh random 32-byte file key, wrapped once per recipient (an ephemeral
  X25519 exchange, HKDF-SHA256, AES-GCM), then the content is encrypted in 64 KiB chunks with
  AES-256-GCM in the STREAM construction: nonce = 7-byte random prefix ‖ chunk counter ‖
  last-chunk flag, the SHA-256 of the header as associated data. A chunk that is changed,
  moved, dropped or cut off (a truncated file) fails authentication. Memory stays at one chunk.

A wrong passphrase fails the unwrap of the private key (AES-GCM tag), so it is told apart
from a damaged file.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

MAGIC = b"LEMARI-CADANGAN-1\n"
CHUNK = 64 * 1024
TAG = 16
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
MIN_PASSPHRASE = 12
KEY_FORMAT = 1


class CryptoError(Exception):
    """Decryption or key handling failed; the message says why, in Indonesian."""


class WrongPassphraseError(CryptoError):
    """The passphrase does not open the office's backup key."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _raw_public(key: X25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def fingerprint(public: bytes) -> str:
    """A short name of a public key (the first 16 hex digits of its SHA-256)."""
    return hashlib.sha256(public).hexdigest()[:16]


def _scrypt(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def check_passphrase(passphrase: str) -> None:
    """A passphrase strong enough to be the only thing between a stolen disk and the NIKs."""
    if len(passphrase.strip()) < MIN_PASSPHRASE:
        raise CryptoError(f"Frasa sandi cadangan minimal {MIN_PASSPHRASE} karakter; pakai beberapa "
                          "kata yang mudah ditulis di kertas.")


@dataclass(frozen=True)
class OfficeKey:
    """The office's backup key as stored: public key, the private key wrapped by the passphrase,
    further recipients. Holds no secret in the clear."""

    document: dict

    @property
    def key_id(self) -> str:
        return str(self.document["id"])

    @property
    def public(self) -> bytes:
        return _unb64(self.document["publik"])

    def recipients(self) -> list[bytes]:
        """Every public key a new object is encrypted to (the office's first)."""
        return [self.public] + [_unb64(r["publik"]) for r in self.document.get("penerima_lain", [])]

    def unlock(self, passphrase: str) -> X25519PrivateKey:
        """The private key; a wrong passphrase raises WrongPassphraseError."""
        wrapped = self.document["rahasia"]
        key = _scrypt(passphrase, _unb64(wrapped["garam"]), wrapped["n"], wrapped["r"], wrapped["p"])
        try:
            raw = AESGCM(key).decrypt(_unb64(wrapped["nonce"]), _unb64(wrapped["data"]),
                                      self.key_id.encode())
        except InvalidTag:
            raise WrongPassphraseError("Frasa sandi cadangan salah; tidak ada yang dipulihkan.") from None
        return X25519PrivateKey.from_private_bytes(raw)

    def with_recipient(self, name: str, public_text: str) -> OfficeKey:
        """A copy with one more recipient (base64 of a raw X25519 public key)."""
        try:
            raw = _unb64(public_text.strip())
            X25519PublicKey.from_public_bytes(raw)
        except (ValueError, TypeError):
            raise CryptoError("Kunci publik penerima tidak sah (harus base64 dari 32 byte X25519).") from None
        others = [r for r in self.document.get("penerima_lain", []) if r["nama"] != name]
        others.append({"nama": name, "publik": _b64(raw), "sidik": fingerprint(raw)})
        return OfficeKey({**self.document, "penerima_lain": others})


def new_office_key(passphrase: str, *, office_id: str, created: str) -> OfficeKey:
    """A fresh key pair whose private half is wrapped by the passphrase."""
    check_passphrase(passphrase)
    private = X25519PrivateKey.generate()
    public = _raw_public(private.public_key())
    key_id = fingerprint(public)
    salt, nonce = os.urandom(16), os.urandom(12)
    wrap = _scrypt(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    data = AESGCM(wrap).encrypt(nonce, raw, key_id.encode())
    return OfficeKey({"format": KEY_FORMAT, "id": key_id, "kantor": office_id, "dibuat": created,
                      "publik": _b64(public),
                      "rahasia": {"kdf": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P,
                                  "garam": _b64(salt), "nonce": _b64(nonce), "data": _b64(data)},
                      "penerima_lain": []})


def new_identity() -> tuple[str, str]:
    """(private, public) X25519 keys as base64: what the kabupaten generates and keeps."""
    from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

    private = X25519PrivateKey.generate()
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return _b64(raw), _b64(_raw_public(private.public_key()))


def identity_from_text(text: str) -> X25519PrivateKey:
    """A recipient's private key (base64 of 32 raw bytes)."""
    try:
        return X25519PrivateKey.from_private_bytes(_unb64(text.strip()))
    except (ValueError, TypeError):
        raise CryptoError("Berkas identitas tidak sah (harus base64 dari 32 byte X25519).") from None


def object_name(naming_key: bytes, sha256: str) -> str:
    """The name of a blob's encrypted object on a target: HMAC of its SHA-256 under a key the
    target never sees, so the target cannot tell which known file (a published letter) it holds,
    yet the same blob always gets the same name and is copied once."""
    return hmac.new(naming_key, sha256.encode("ascii"), hashlib.sha256).hexdigest()


def new_naming_key() -> bytes:
    return secrets.token_bytes(32)


# --- the stream ------------------------------------------------------------------------------

def _wrap_key(file_key: bytes, recipient: bytes) -> dict:
    ephemeral = X25519PrivateKey.generate()
    epk = _raw_public(ephemeral.public_key())
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient))
    kek = HKDF(hashes.SHA256(), 32, salt=epk + recipient, info=b"lemari-cadangan-kunci").derive(shared)
    return {"sidik": fingerprint(recipient), "epk": _b64(epk),
            "kunci": _b64(AESGCM(kek).encrypt(b"\0" * 12, file_key, None))}


def _unwrap_key(stanza: dict, identity: X25519PrivateKey) -> bytes | None:
    mine = _raw_public(identity.public_key())
    if stanza.get("sidik") != fingerprint(mine):
        return None
    epk = _unb64(stanza["epk"])
    shared = identity.exchange(X25519PublicKey.from_public_bytes(epk))
    kek = HKDF(hashes.SHA256(), 32, salt=epk + mine, info=b"lemari-cadangan-kunci").derive(shared)
    try:
        return AESGCM(kek).decrypt(b"\0" * 12, _unb64(stanza["kunci"]), None)
    except InvalidTag:
        return None


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + struct.pack(">I", counter) + (b"\x01" if last else b"\x00")


def encrypt_stream(src: BinaryIO, dst: BinaryIO, recipients: Iterable[bytes]) -> str:
    """Encrypt src into dst for every recipient; returns the SHA-256 of the plaintext."""
    file_key, prefix = os.urandom(32), os.urandom(7)
    header = json.dumps({"penerima": [_wrap_key(file_key, r) for r in recipients],
                         "nonce": _b64(prefix), "potongan": CHUNK}).encode()
    aad = hashlib.sha256(MAGIC + header).digest()
    dst.write(MAGIC + struct.pack(">I", len(header)) + header)
    aead, plain_hash = AESGCM(file_key), hashlib.sha256()
    counter, chunk = 0, src.read(CHUNK)
    while True:
        following = src.read(CHUNK) if len(chunk) == CHUNK else b""
        last = not following
        plain_hash.update(chunk)
        dst.write(aead.encrypt(_nonce(prefix, counter, last), chunk, aad))
        if last:
            return plain_hash.hexdigest()
        counter, chunk = counter + 1, following


def _read_exact(src: BinaryIO, size: int) -> bytes:
    data = b""
    while len(data) < size:
        more = src.read(size - len(data))
        if not more:
            break
        data += more
    return data


def decrypt_stream(src: BinaryIO, dst: BinaryIO, identity: X25519PrivateKey, *, name: str = "") -> str:
    """Decrypt src into dst; returns the plaintext's SHA-256. A damaged or cut file raises
    CryptoError (what was written to dst must then be thrown away by the caller)."""
    damaged = f"Berkas cadangan {name} rusak atau diubah".strip()
    if _read_exact(src, len(MAGIC)) != MAGIC:
        raise CryptoError(f"{damaged} (bukan berkas terenkripsi Lemari).")
    try:
        (size,) = struct.unpack(">I", _read_exact(src, 4))
        header = _read_exact(src, size)
        meta = json.loads(header)
        prefix = _unb64(meta["nonce"])
        chunk = int(meta["potongan"])
        stanzas = list(meta["penerima"])
    except (struct.error, ValueError, KeyError, TypeError):
        raise CryptoError(f"{damaged} (kepala berkas tidak terbaca).") from None
    file_key = next((k for s in stanzas if (k := _unwrap_key(s, identity)) is not None), None)
    if file_key is None:
        raise CryptoError(f"{damaged}, atau tidak dienkripsi untuk kunci ini.")
    aad = hashlib.sha256(MAGIC + header).digest()
    aead, plain_hash, counter = AESGCM(file_key), hashlib.sha256(), 0
    block = _read_exact(src, chunk + TAG)
    while True:
        following = _read_exact(src, chunk + TAG) if len(block) == chunk + TAG else b""
        last = not following
        try:
            plain = aead.decrypt(_nonce(prefix, counter, last), block, aad)
        except InvalidTag:
            raise CryptoError(f"{damaged} (potongan {counter} tidak lolos pemeriksaan).") from None
        plain_hash.update(plain)
        dst.write(plain)
        if last:
            return plain_hash.hexdigest()
        counter, block = counter + 1, following
