"""SMS backends, chosen by SMS_BACKEND. Numbers are E.164 (normalised when they are entered)."""

import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

logger = logging.getLogger("rhms.sms")


def _masked(number: str) -> str:
    return number[:3] + "…" + number[-2:] if len(number) > 6 else "…"


class ConsoleSmsBackend:
    """Development: logs the message (its text only with DEBUG on, so production logs hold no personal data)."""

    def send(self, *, to: str, body: str) -> None:
        if settings.DEBUG:
            logger.info("SMS to %s: %s", to, body)
        else:
            logger.info("SMS to %s (%d characters) not sent: console backend", _masked(to), len(body))


class TwilioSmsBackend:
    """Twilio's official client, configured by TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER
    (or TWILIO_MESSAGING_SERVICE_SID)."""

    def __init__(self):
        if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN):
            raise ImproperlyConfigured("TwilioSmsBackend needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.")
        if not (settings.TWILIO_FROM_NUMBER or settings.TWILIO_MESSAGING_SERVICE_SID):
            raise ImproperlyConfigured("TwilioSmsBackend needs TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID.")
        from twilio.rest import Client

        self.client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)

    def send(self, *, to: str, body: str) -> None:
        sender = (
            {"messaging_service_sid": settings.TWILIO_MESSAGING_SERVICE_SID}
            if settings.TWILIO_MESSAGING_SERVICE_SID
            else {"from_": settings.TWILIO_FROM_NUMBER}
        )
        self.client.messages.create(to=to, body=body, **sender)


def send_sms(*, to: str, body: str) -> None:
    import_string(settings.SMS_BACKEND)().send(to=to, body=body)
