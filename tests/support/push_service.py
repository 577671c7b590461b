"""A local Web Push service (RFC 8030) that does what a browser's push service and the browser
together do with a message: checks the VAPID header (RFC 8292: an ES256 JWT for this origin,
not expired, signed by the key in ``k``), then decrypts the aes128gcm body (RFC 8188/8291)
with the subscription's private key and auth secret. Written here from the receiving side,
independently of notify's sender code.

A subscription can be made to answer 410 Gone or 404, as when a person uninstalls the app.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _raw_public(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def decrypt(body: bytes, private_key: ec.EllipticCurvePrivateKey, auth: bytes) -> bytes:
    """The user agent's side of RFC 8291: read the RFC 8188 header, derive, open the record."""
    salt, record_size, key_length = body[:16], struct.unpack("!I", body[16:20])[0], body[20]
    sender_public = body[21 : 21 + key_length]
    ciphertext = body[21 + key_length :]
    if record_size < 18 or len(ciphertext) > record_size:
        raise ValueError("this service expects one record")
    sender = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), sender_public)
    shared = private_key.exchange(ec.ECDH(), sender)
    receiver_public = _raw_public(private_key.public_key())
    prk_key = _hmac(auth, shared)
    ikm = _hmac(prk_key, b"WebPush: info\x00" + receiver_public + sender_public + b"\x01")
    prk = _hmac(salt, ikm)
    cek = _hmac(prk, b"Content-Encoding: aes128gcm\x00\x01")[:16]
    nonce = _hmac(prk, b"Content-Encoding: nonce\x00\x01")[:12]
    padded = AESGCM(cek).decrypt(nonce, ciphertext, None)
    stripped = padded.rstrip(b"\x00")
    if not stripped.endswith(b"\x02"):
        raise ValueError("not the last record")
    return stripped[:-1]


def check_vapid(header: str, origin: str, now: float) -> str:
    """Return the key (``k``) if the ``vapid t=..., k=...`` header is valid for ``origin``."""
    scheme, _, params = header.partition(" ")
    if scheme.lower() != "vapid":
        raise ValueError("not a vapid authorization")
    values = dict(part.strip().split("=", 1) for part in params.split(","))
    token, key = values["t"], values["k"]
    head_b64, claims_b64, signature_b64 = token.split(".")
    head = json.loads(b64d(head_b64))
    claims = json.loads(b64d(claims_b64))
    if head.get("alg") != "ES256":
        raise ValueError("VAPID must be ES256")
    signature = b64d(signature_b64)
    if len(signature) != 64:
        raise ValueError("an ES256 signature is 64 bytes")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64d(key))
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    public.verify(der, f"{head_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    if claims.get("aud") != origin:
        raise ValueError(f"aud {claims.get('aud')!r} is not {origin!r}")
    if not now < claims["exp"] <= now + 24 * 3600:
        raise ValueError("exp must be in the next 24 hours")
    if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
        raise ValueError("sub must be a mailto: or https: contact")
    return key


@dataclass
class Subscription:
    id: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    answer: int = 201
    received: list[dict[str, Any]] = field(default_factory=list)

    def as_browser_json(self, base_url: str) -> dict[str, Any]:
        """What ``PushSubscription.toJSON()`` gives in a browser."""
        return {
            "endpoint": f"{base_url}/push/{self.id}",
            "keys": {"p256dh": b64e(_raw_public(self.private_key.public_key())), "auth": b64e(self.auth)},
        }


@dataclass
class PushService:
    base_url: str = ""
    clock: Callable[[], float] = time.time
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    rejected: list[str] = field(default_factory=list)

    def subscribe(self) -> Subscription:
        sub = Subscription(os.urandom(8).hex(), ec.generate_private_key(ec.SECP256R1()), os.urandom(16))
        self.subscriptions[sub.id] = sub
        return sub

    @property
    def app(self) -> Starlette:
        return Starlette(routes=[Route("/push/{sub_id}", self._push, methods=["POST"])])

    async def _push(self, request: Request) -> Response:
        sub = self.subscriptions.get(request.path_params["sub_id"])
        if sub is None:
            return Response(status_code=404)
        if sub.answer in (404, 410):
            return Response(status_code=sub.answer)
        try:
            vapid_key = check_vapid(request.headers.get("authorization", ""), self.base_url, self.clock())
            if request.headers.get("content-encoding") != "aes128gcm":
                raise ValueError("content-encoding must be aes128gcm")
            if int(request.headers.get("ttl", "-1")) < 0:
                raise ValueError("TTL is required")
            body = await request.body()
            if len(body) > 4096:
                return Response(status_code=413)
            plaintext = decrypt(body, sub.private_key, sub.auth)
        except (ValueError, KeyError, InvalidSignature, InvalidTag) as exc:
            self.rejected.append(repr(exc))
            return Response(str(exc), status_code=400 if not isinstance(exc, InvalidSignature) else 403)
        sub.received.append({"payload": json.loads(plaintext), "vapid_key": vapid_key})
        return Response(
            status_code=sub.answer, headers={"location": f"{self.base_url}/messages/{len(sub.received)}"}
        )
