"""Mail leaves through `SMTP_URL` with aiosmtplib; in dev, a real local SMTP server keeps every mail
and the dev store lists it."""

from __future__ import annotations

from email.message import EmailMessage

from app.mail.devserver import kept_mail, start_smtp_server
from app.mail.sender import send_mail
from tests.processes import free_port


async def test_mail_sent_through_smtp_is_kept_and_listed_newest_first(settings, tmp_path):
    # given the local SMTP server on a free port, and the app pointed at it
    port = free_port()
    server = start_smtp_server(tmp_path / "mail", port=port)
    configured = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"})
    try:
        # when the app sends two mails
        for subject in ("You earned 57 points", "Welcome to Silver"):
            message = EmailMessage()
            message["To"] = "min@example.com"
            message["Subject"] = subject
            message.set_content(f"{subject}. Thank you for shopping with us.")
            await send_mail(configured, message)
    finally:
        server.stop()
    # then both were kept, with the app's sender, newest first
    kept = kept_mail(tmp_path / "mail")
    assert [m.subject for m in kept] == ["Welcome to Silver", "You earned 57 points"]
    assert {m.recipients for m in kept} == {"min@example.com"}
    assert {m.sender for m in kept} == {configured.mail_from}
    assert kept[0].text.strip() == "Welcome to Silver. Thank you for shopping with us."


async def test_the_dev_store_lists_the_kept_mail(settings, store_client, tmp_path):
    # given a mail kept under the app's var/ folder
    port = free_port()
    server = start_smtp_server(tmp_path / "var" / "mail", port=port)
    try:
        message = EmailMessage()
        message["To"] = "noa@example.com"
        message["Subject"] = "Your 5 off code"
        message.set_content("Use it at checkout.")
        await send_mail(settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"}), message)
    finally:
        server.stop()
    # when the mail page is opened
    page = await store_client.get("/mail")
    # then it shows it
    assert page.status_code == 200
    assert "Your 5 off code" in page.text
    assert "noa@example.com" in page.text
