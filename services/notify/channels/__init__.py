"""Outbound channel adapters, built from settings: a channel without settings is off."""

from __future__ import annotations

from contracts.notify import DeliveryChannel
from services.notify.channels.base import ChannelAdapter, Outbound, SendError, Sent
from services.notify.channels.email import EmailAdapter
from services.notify.channels.facebook import FacebookAdapter
from services.notify.channels.sms import SmsAdapter
from services.notify.channels.sms_android import AndroidSmsAdapter
from services.notify.channels.sms_twilio import TwilioSmsAdapter
from services.notify.channels.telegram import TelegramAdapter
from services.notify.channels.webpush import WebPushAdapter
from services.notify.channels.webpush_crypto import VapidKey
from services.notify.domain.quiet import Clock
from services.notify.settings import NotifySettings

# Written in the consumer's own transaction: the inbox and the village chief's list.
LOCAL_CHANNELS = frozenset({DeliveryChannel.IN_APP, DeliveryChannel.LOUDSPEAKER})


def sms_adapter(settings: NotifySettings) -> ChannelAdapter:
    """The configured provider (``sms_provider``); each speaks its own documented API."""
    if settings.sms_provider == "android":
        return AndroidSmsAdapter(
            settings.sms_android_url,
            settings.sms_android_username,
            settings.secret("sms_android_password"),
            path=settings.sms_android_path,
        )
    if settings.sms_provider == "twilio":

        def status_callback() -> str:
            base = settings.public_url.rstrip("/")
            return f"{base}/webhooks/sms/twilio/status" if base else ""

        return TwilioSmsAdapter(
            settings.sms_twilio_api_base,
            settings.sms_twilio_account_sid,
            settings.secret("sms_twilio_auth_token"),
            settings.sms_twilio_from,
            status_callback=status_callback,
        )
    return SmsAdapter(settings.sms_base_url, settings.secret("sms_api_key"), settings.sms_sender)


def build_adapters(settings: NotifySettings, clock: Clock) -> dict[DeliveryChannel, ChannelAdapter]:
    adapters: dict[DeliveryChannel, ChannelAdapter] = {}
    if settings.push_enabled:
        adapters[DeliveryChannel.PUSH] = WebPushAdapter(
            VapidKey.from_setting(settings.secret("vapid_private_key")),
            settings.vapid_subject,
            clock,
            ttl_seconds=settings.push_ttl_seconds,
        )
    if settings.sms_enabled:
        adapters[DeliveryChannel.SMS] = sms_adapter(settings)
    if settings.telegram_enabled:
        adapters[DeliveryChannel.TELEGRAM] = TelegramAdapter(
            settings.telegram_api_base,
            settings.secret("telegram_bot_token"),
            webhook_url=settings.telegram_webhook_url,
            webhook_secret=settings.secret("telegram_webhook_secret"),
        )
    if settings.email_enabled:
        adapters[DeliveryChannel.EMAIL] = EmailAdapter(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_from,
            username=settings.smtp_username,
            password=settings.secret("smtp_password"),
            security=settings.smtp_security,
        )
    if settings.facebook_enabled:
        adapters[DeliveryChannel.FACEBOOK] = FacebookAdapter(
            settings.facebook_graph_base,
            settings.facebook_graph_version,
            {page: settings.facebook_page_token(page) for page in settings.facebook_page_tokens},
        )
    return adapters


__all__ = [
    "LOCAL_CHANNELS",
    "ChannelAdapter",
    "Outbound",
    "SendError",
    "Sent",
    "build_adapters",
]
