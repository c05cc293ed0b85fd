"""Test doubles for what leaves the machine: an SMTP server that is down or hangs, an SMS provider that records."""

import os
import threading
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend


class SmtpDownBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("[Errno 111] Connection refused (smtp.example.com:587)")


class BlockingEmailBackend(BaseEmailBackend):
    """An SMTP server that never answers: the send hangs until the worker is killed. It touches the file named by
    BLOCKING_EMAIL_MARKER first, so a test knows the send has started."""

    def send_messages(self, email_messages):
        Path(os.environ["BLOCKING_EMAIL_MARKER"]).touch()
        threading.Event().wait()


class RecordingSmsBackend:
    sent: list[tuple[str, str]] = []

    def send(self, *, to: str, body: str) -> None:
        RecordingSmsBackend.sent.append((to, body))
