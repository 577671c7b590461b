"""Web Push opt-in from the PWA: the VAPID public key, and registering or removing a phone."""

from __future__ import annotations

from fastapi import APIRouter

from contracts.api.notify import (
    PushConfig,
    PushSubscriptionCreate,
    PushSubscriptionPublic,
    PushSubscriptionRemove,
)
from services.notify.channels.webpush import check_endpoint
from services.notify.channels.webpush_crypto import (
    PushKeyError,
    VapidKey,
    b64url_encode,
    load_auth_secret,
    load_subscription_key,
    public_bytes,
)
from services.notify.domain import audiences_of
from services.notify.exchange import ExchangeDep
from services.notify.recipients import deactivate_push, endpoint_hash, save_push_subscription
from services.runtime.errors import DomainError
from services.runtime.http import CallerDep
from services.runtime.service import RuntimeDep

router = APIRouter(prefix="/push", tags=["push"])


def _push_off() -> DomainError:
    return DomainError(
        "push.not_configured",
        "Notifications on phones are not set up on this server.",
        "ការជូនដំណឹងលើទូរស័ព្ទ មិនទាន់បានរៀបចំនៅលើម៉ាស៊ីនមេនេះទេ។",
        status=409,
    )


@router.get("/config", response_model=PushConfig)
async def push_config(caller: CallerDep, exchange: ExchangeDep) -> PushConfig:
    if not exchange.settings.push_enabled:
        return PushConfig(public_key=None)
    return PushConfig(
        public_key=VapidKey.from_setting(exchange.settings.secret("vapid_private_key")).public_key
    )


@router.post("/subscriptions", status_code=201, response_model=PushSubscriptionPublic)
async def register(
    body: PushSubscriptionCreate, caller: CallerDep, runtime: RuntimeDep, exchange: ExchangeDep
) -> PushSubscriptionPublic:
    """Register (or refresh) the caller's phone for push; it then receives what the caller's
    audiences receive (e.g. a new need in their commune)."""
    if not exchange.settings.push_enabled:
        raise _push_off()
    try:
        endpoint = check_endpoint(body.endpoint, exchange.settings.push_allow_insecure_endpoints)
    except ValueError:
        raise DomainError(
            "push.endpoint_invalid",
            "This push subscription's address is not acceptable.",
            "អាសយដ្ឋានរបស់ការជាវ push នេះមិនអាចទទួលយកបានទេ។",
            field="endpoint",
        ) from None
    try:
        p256dh = b64url_encode(public_bytes(load_subscription_key(body.keys.p256dh)))
        auth = b64url_encode(load_auth_secret(body.keys.auth))
    except PushKeyError:
        raise DomainError(
            "push.keys_invalid",
            "This push subscription's keys are not valid.",
            "សោរបស់ការជាវ push នេះមិនត្រឹមត្រូវទេ។",
            field="keys",
        ) from None
    audiences = audiences_of(caller)
    if not audiences:
        raise DomainError(
            "push.nothing_to_receive",
            "Your role receives no notifications yet.",
            "តួនាទីរបស់អ្នក មិនទាន់ទទួលការជូនដំណឹងនៅឡើយទេ។",
            status=409,
        )
    async with runtime.store.transaction() as tx:
        saved = await save_push_subscription(
            tx,
            endpoint=endpoint,
            p256dh=p256dh,
            auth=auth,
            user_id=caller.user_id,
            audiences=audiences,
            language=body.language,
            now=exchange.clock.now(),
        )
    return PushSubscriptionPublic(
        id=saved["id"], active=True, audiences=list(saved["audiences"]), language=saved["language"]
    )


@router.post("/subscriptions/remove", response_model=PushSubscriptionPublic)
async def remove(
    body: PushSubscriptionRemove, caller: CallerDep, runtime: RuntimeDep, exchange: ExchangeDep
) -> PushSubscriptionPublic:
    """Stop push to this phone. Only its owner may; repeating is harmless."""
    doc = await runtime.store.get("push_endpoints", endpoint_hash(body.endpoint))
    if doc is None or doc["user_id"] != caller.user_id:
        raise DomainError(
            "push.not_found", "No such push subscription.", "រកមិនឃើញការជាវ push នេះទេ។", status=404
        )
    async with runtime.store.transaction() as tx:
        await deactivate_push(tx, body.endpoint, exchange.clock.now(), reason="turned off by its owner")
    return PushSubscriptionPublic(
        id=doc["id"], active=False, audiences=list(doc["audiences"]), language=doc["language"]
    )
