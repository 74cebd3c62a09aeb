"""Plain-text e-mail through the configured SMTP server (``AGENTHUB_SMTP_*``).

Used by the ``send_notification`` tool and by workspace invitations. Blocking network I/O: call
it from a thread, never on an event loop.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from backend.config import Settings


def send_email(*, to: str, subject: str, body: str, settings: Settings) -> None:
    """Send a plain-text e-mail through the configured SMTP server (RFC 5321; STARTTLS RFC 3207).

    Raises:
        OSError, smtplib.SMTPException: connection, TLS, authentication or delivery failures.
    """
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.smtp_sender, to, subject
    message.set_content(body)
    timeout = settings.smtp_timeout_s
    smtp: smtplib.SMTP
    if settings.smtp_ssl:
        smtp = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=timeout)
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    with smtp:
        if settings.smtp_starttls and not settings.smtp_ssl:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
        smtp.send_message(message)
