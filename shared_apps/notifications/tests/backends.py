"""Test doubles for what leaves the machine: an SMTP server that is down, an SMS provider that records."""

from django.core.mail.backends.base import BaseEmailBackend


class SmtpDownBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("[Errno 111] Connection refused (smtp.example.com:587)")


class RecordingSmsBackend:
    sent: list[tuple[str, str]] = []

    def send(self, *, to: str, body: str) -> None:
        RecordingSmsBackend.sent.append((to, body))
