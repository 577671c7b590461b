"""Web Push encryption reproduces RFC 8291's worked example byte for byte; VAPID tokens are
ES256 JWTs a push service can verify."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from contracts.notify import DeliveryChannel
from services.notify.channels.base import Outbound
from services.notify.channels.webpush import check_endpoint, payload
from services.notify.channels.webpush_crypto import (
    MAX_PLAINTEXT,
    PushKeyError,
    VapidKey,
    b64url_decode,
    b64url_encode,
    encrypt,
    load_auth_secret,
    load_subscription_key,
    public_bytes,
)

# RFC 8291, Appendix A.
PLAINTEXT = b"When I grow up, I want to be a watermelon"
AS_PRIVATE = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"
UA_PUBLIC = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
AUTH = "BTBZMqHH6r4Tts7J_aSIgg"
SALT = "DGv6ra1nlYgDCS1FRnbzlw"
BODY = (
    "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PB"
    "ru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
)


def test_encryption_reproduces_the_rfc_8291_example_byte_for_byte() -> None:
    sender = ec.derive_private_key(int.from_bytes(b64url_decode(AS_PRIVATE), "big"), ec.SECP256R1())
    body = encrypt(
        PLAINTEXT, b64url_decode(UA_PUBLIC), b64url_decode(AUTH), as_private=sender, salt=b64url_decode(SALT)
    )
    assert b64url_encode(body) == BODY


def test_every_message_gets_a_fresh_key_and_salt() -> None:
    raw = public_bytes(ec.generate_private_key(ec.SECP256R1()).public_key())
    first, second = encrypt(b"same", raw, b"0" * 16), encrypt(b"same", raw, b"0" * 16)
    assert first[:16] != second[:16]  # salt
    assert first[21:86] != second[21:86]  # sender key
    assert first[16:21] == b"\x00\x00\x10\x00\x41"  # record size 4096, key id of 65 bytes


def test_a_payload_over_one_record_is_refused() -> None:
    raw = b64url_decode(UA_PUBLIC)
    with pytest.raises(ValueError):
        encrypt(b"x" * (MAX_PLAINTEXT + 1), raw, b64url_decode(AUTH))


def _verify_jwt(token: str, public_key: str) -> dict[str, object]:
    head, claims, signature = token.split(".")
    raw = b64url_decode(signature)
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(public_key))
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    assert json.loads(b64url_decode(head)) == {"typ": "JWT", "alg": "ES256"}
    result: dict[str, object] = json.loads(b64url_decode(claims))
    return result


def test_a_vapid_token_is_signed_for_the_push_services_origin_for_twelve_hours() -> None:
    key = VapidKey.generate()
    now = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
    header = key.authorization("https://fcm.googleapis.com/fcm/send/abc123", "mailto:ops@khum.example", now)
    assert header.startswith("vapid t=")
    token = header.split("t=")[1].split(",")[0]
    assert header.endswith(f", k={key.public_key}")
    claims = _verify_jwt(token, key.public_key)
    assert claims == {
        "aud": "https://fcm.googleapis.com",
        "exp": int(now.timestamp()) + 12 * 3600,
        "sub": "mailto:ops@khum.example",
    }


def test_a_vapid_key_is_read_back_from_its_setting() -> None:
    key = VapidKey.generate()
    assert VapidKey.from_setting(key.private_setting()).public_key == key.public_key
    for bad in ("short", "", b64url_encode(b"x" * 31)):
        with pytest.raises((PushKeyError, ValueError)):
            VapidKey.from_setting(bad)


@pytest.mark.parametrize("p256dh", ["AAAA", "D" + UA_PUBLIC[1:], UA_PUBLIC[:-4] + "AAAA", "not base64!"])
def test_an_unusable_subscription_key_is_refused(p256dh: str) -> None:
    with pytest.raises(PushKeyError):
        load_subscription_key(p256dh)


def test_an_auth_secret_must_be_16_bytes() -> None:
    assert len(load_auth_secret(AUTH)) == 16
    with pytest.raises(PushKeyError):
        load_auth_secret("c2hvcnQ")


@pytest.mark.parametrize(
    ("endpoint", "insecure_allowed", "ok"),
    [
        ("https://fcm.googleapis.com/fcm/send/abc", False, True),
        ("http://127.0.0.1:9999/push/abc", False, False),
        ("http://127.0.0.1:9999/push/abc", True, True),
        ("https://user:pw@push.example/abc", False, False),
        ("file:///etc/passwd", True, False),
        ("https://push.example/abc#frag", False, False),
    ],
)
def test_only_acceptable_push_endpoints_are_kept(endpoint: str, insecure_allowed: bool, ok: bool) -> None:
    if ok:
        assert check_endpoint(endpoint, insecure_allowed) == endpoint
    else:
        with pytest.raises(ValueError):
            check_endpoint(endpoint, insecure_allowed)


def test_the_push_payload_carries_title_body_and_link_in_the_persons_language() -> None:
    message = Outbound(
        "d1",
        DeliveryChannel.PUSH,
        "https://p",
        "New need ABCD-EFG",
        language="en",
        data={"url": "/notifications"},
    )
    assert json.loads(payload(message)) == {
        "title": "Khum",
        "body": "New need ABCD-EFG",
        "lang": "en",
        "url": "/notifications",
    }
