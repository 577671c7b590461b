"""Web Push message encryption (RFC 8291 over RFC 8188 ``aes128gcm``) and VAPID (RFC 8292).

Encryption, for a subscription's P-256 public key ``ua_public`` and 16-byte ``auth`` secret:

1. a fresh P-256 key pair (``as_``) and a 16-byte salt per message;
2. ``ecdh_secret = ECDH(as_private, ua_public)``;
3. ``IKM = HKDF(salt=auth, ikm=ecdh_secret, info="WebPush: info\\0" || ua_public || as_public, 32)``;
4. ``CEK = HKDF(salt, IKM, "Content-Encoding: aes128gcm\\0", 16)``,
   ``NONCE = HKDF(salt, IKM, "Content-Encoding: nonce\\0", 12)``;
5. one record: ``AES-128-GCM(CEK, NONCE, plaintext || 0x02)``;
6. body = ``salt || rs (uint32) || idlen (65) || as_public || ciphertext``.

VAPID: an ES256 JWT (``aud`` = the push service's origin, ``exp`` <= 24 h, ``sub`` = a contact)
sent as ``Authorization: vapid t=<jwt>, k=<public key>``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import struct
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

RECORD_SIZE = 4096
HEADER_SIZE = 16 + 4 + 1 + 65
TAG_SIZE = 16
# A push service must accept 4,096 bytes of body (RFC 8030 section 7.2): header, tag, delimiter.
MAX_PLAINTEXT = RECORD_SIZE - HEADER_SIZE - TAG_SIZE - 1
VAPID_LIFETIME = timedelta(hours=12)


class PushKeyError(ValueError):
    """A subscription key or a VAPID key that cannot be used."""


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    cleaned = text.strip().replace("+", "-").replace("/", "_").rstrip("=")
    try:
        return base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))
    except (ValueError, TypeError) as exc:
        raise PushKeyError("not base64url") from exc


def _hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    """HKDF-SHA256 (RFC 5869) for one output block, which is all these lengths need."""
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()[:length]


def public_bytes(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def load_subscription_key(p256dh: str) -> ec.EllipticCurvePublicKey:
    raw = b64url_decode(p256dh)
    if len(raw) != 65 or raw[0] != 0x04:
        raise PushKeyError("p256dh must be an uncompressed P-256 point (65 bytes)")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError as exc:
        raise PushKeyError("p256dh is not a point on P-256") from exc


def load_auth_secret(auth: str) -> bytes:
    raw = b64url_decode(auth)
    if len(raw) != 16:
        raise PushKeyError("auth must be 16 bytes")
    return raw


def encrypt(
    plaintext: bytes,
    ua_public: bytes,
    auth_secret: bytes,
    *,
    as_private: ec.EllipticCurvePrivateKey | None = None,
    salt: bytes | None = None,
) -> bytes:
    """Encrypt one push message (one aes128gcm record). ``as_private`` and ``salt`` are only
    given by tests that reproduce a known vector; otherwise both are fresh for every message."""
    if len(plaintext) > MAX_PLAINTEXT:
        raise ValueError(f"a push payload holds at most {MAX_PLAINTEXT} bytes")
    receiver = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), ua_public)
    sender = as_private or ec.generate_private_key(ec.SECP256R1())
    salt = salt if salt is not None else os.urandom(16)
    if len(salt) != 16 or len(auth_secret) != 16:
        raise ValueError("salt and auth secret are 16 bytes each")
    as_public = public_bytes(sender.public_key())
    ecdh_secret = sender.exchange(ec.ECDH(), receiver)
    key_info = b"WebPush: info\x00" + ua_public + as_public
    ikm = _hkdf(auth_secret, ecdh_secret, key_info, 32)
    cek = _hkdf(salt, ikm, b"Content-Encoding: aes128gcm\x00", 16)
    nonce = _hkdf(salt, ikm, b"Content-Encoding: nonce\x00", 12)
    ciphertext = AESGCM(cek).encrypt(nonce, plaintext + b"\x02", None)
    header = salt + struct.pack("!IB", RECORD_SIZE, len(as_public)) + as_public
    return header + ciphertext


class VapidKey:
    """The application server's key pair; the private key is set as base64url of its 32-byte
    scalar (what web-push tools print) or as PEM."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey) -> None:
        if not isinstance(private_key.curve, ec.SECP256R1):
            raise PushKeyError("a VAPID key is a P-256 key")
        self._key = private_key
        self.public_key = b64url_encode(public_bytes(private_key.public_key()))

    @classmethod
    def generate(cls) -> VapidKey:
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def from_setting(cls, value: str) -> VapidKey:
        text = value.strip()
        if text.startswith("-----BEGIN"):
            loaded = serialization.load_pem_private_key(text.encode(), password=None)
            if not isinstance(loaded, ec.EllipticCurvePrivateKey):
                raise PushKeyError("the VAPID PEM is not an EC private key")
            return cls(loaded)
        raw = b64url_decode(text)
        if len(raw) != 32:
            raise PushKeyError("a VAPID private key is 32 bytes (base64url) or a PEM")
        return cls(ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1()))

    def private_setting(self) -> str:
        return b64url_encode(self._key.private_numbers().private_value.to_bytes(32, "big"))

    def jwt(self, audience: str, subject: str, now: datetime) -> str:
        header = {"typ": "JWT", "alg": "ES256"}
        claims = {"aud": audience, "exp": int((now + VAPID_LIFETIME).timestamp()), "sub": subject}
        signing_input = ".".join(
            b64url_encode(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
        )
        der = self._key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return f"{signing_input}.{b64url_encode(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"

    def authorization(self, endpoint: str, subject: str, now: datetime) -> str:
        return f"vapid t={self.jwt(origin_of(endpoint), subject, now)}, k={self.public_key}"


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
