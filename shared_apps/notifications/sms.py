"""SMS backends, chosen by SMS_BACKEND. The console backend logs; a real provider is configured by environment."""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("rhms.sms")


class ConsoleSmsBackend:
    def send(self, *, to: str, body: str) -> None:
        logger.info("SMS to %s: %s", to, body)


def send_sms(*, to: str, body: str) -> None:
    import_string(settings.SMS_BACKEND)().send(to=to, body=body)
