"""The local SMTP server of `dangol dev`: accepts every mail and keeps it under `var/mail/` to read."""

from __future__ import annotations

import email
import email.policy
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class Mailbox:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        content = envelope.original_content or envelope.content
        (self.directory / f"{stamp}-{uuid.uuid4().hex[:8]}.eml").write_bytes(
            content if isinstance(content, bytes) else content.encode()
        )
        return "250 Message kept"


@dataclass(frozen=True)
class KeptMail:
    name: str
    sender: str
    recipients: str
    subject: str
    date: str
    text: str


def kept_mail(directory: Path, limit: int = 200) -> list[KeptMail]:
    """Newest first."""
    mails = []
    for path in sorted(directory.glob("*.eml"), reverse=True)[:limit]:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(preferencelist=("plain", "html")) if message.is_multipart() else message
        mails.append(
            KeptMail(
                name=path.name,
                sender=str(message.get("From", "")),
                recipients=str(message.get("To", "")),
                subject=str(message.get("Subject", "")),
                date=str(message.get("Date", "")),
                text=body.get_content() if body is not None else "",
            )
        )
    return mails


def start_smtp_server(directory: Path, host: str = "127.0.0.1", port: int = 1025) -> Controller:
    controller = Controller(Mailbox(directory), hostname=host, port=port)
    controller.start()
    return controller
