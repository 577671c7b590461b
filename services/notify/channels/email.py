"""E-mail over SMTP (STARTTLS, implicit TLS, or plain for a local relay).

smtplib is blocking, so each message is sent in a worker thread. A 5xx reply or a refused
recipient is permanent; 4xx replies and connection trouble are retried.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Literal

from contracts.notify import DeliveryChannel
from services.notify.channels.base import ChannelAdapter, Outbound, SendError, Sent

Security = Literal["starttls", "ssl", "none"]


class EmailAdapter(ChannelAdapter):
    channel = DeliveryChannel.EMAIL

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        username: str = "",
        password: str = "",
        security: Security = "starttls",
        timeout: float = 20.0,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.username = username
        self.password = password
        self.security = security
        self.timeout = timeout

    def compose(self, message: Outbound) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = Address(addr_spec=message.address)
        mail["Subject"] = message.subject or ("Khum" if message.language == "en" else "ឃុំ")
        mail["Message-ID"] = make_msgid(idstring=message.delivery_id.replace("-", ""))
        mail["Content-Language"] = message.language
        unsubscribe = message.data.get("unsubscribe")
        if unsubscribe:
            mail["List-Unsubscribe"] = f"<{unsubscribe}>"
            mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        mail.set_content(message.text, charset="utf-8")
        return mail

    def _send_blocking(self, mail: EmailMessage) -> None:
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if self.security == "ssl":
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if self.security == "starttls":
                client.starttls(context=context)
            if self.username:
                client.login(self.username, self.password)
            client.send_message(mail)

    async def send(self, message: Outbound) -> Sent:
        mail = self.compose(message)
        try:
            await asyncio.to_thread(self._send_blocking, mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise SendError("email.address_refused", str(exc.recipients)[:300], permanent=True) from None
        except smtplib.SMTPResponseException as exc:
            detail = (
                exc.smtp_error.decode(errors="replace")
                if isinstance(exc.smtp_error, bytes)
                else exc.smtp_error
            )
            reason = f"SMTP {exc.smtp_code}: {detail[:300]}"
            raise SendError("email.refused", reason, permanent=exc.smtp_code >= 500) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise SendError("email.unreachable", repr(exc)[:300], permanent=False) from None
        return Sent(str(mail["Message-ID"]))
