"""Sending mail through `SMTP_URL` with aiosmtplib."""

from __future__ import annotations

from email.message import EmailMessage
from urllib.parse import unquote, urlparse

import aiosmtplib

from app.core.config import Settings

DEFAULT_DEV_SMTP = "smtp://127.0.0.1:1025"


async def send_mail(settings: Settings, message: EmailMessage) -> None:
    url = urlparse(settings.smtp_url or DEFAULT_DEV_SMTP)
    if "From" not in message:
        message["From"] = settings.mail_from
    await aiosmtplib.send(
        message,
        hostname=url.hostname or "127.0.0.1",
        port=url.port or (465 if url.scheme == "smtps" else 25),
        username=unquote(url.username) if url.username else None,
        password=unquote(url.password) if url.password else None,
        use_tls=url.scheme == "smtps",
        timeout=10,
    )
