from django.conf import settings
from django.core.checks import Error


def claim_outlives_the_send(app_configs=None, **kwargs) -> list[Error]:
    """The claim on an outbox row must outlast the longest send, or a live send is taken over and sent twice."""
    errors = []
    if settings.NOTIFICATION_SEND_TIME_LIMIT_SECONDS <= settings.EMAIL_TIMEOUT:
        errors.append(
            Error(
                "NOTIFICATION_SEND_TIME_LIMIT_SECONDS must exceed EMAIL_TIMEOUT.",
                hint="One SMTP step may take EMAIL_TIMEOUT; a send has several.",
                id="notifications.E001",
            )
        )
    if settings.NOTIFICATION_CLAIM_TIMEOUT_SECONDS <= settings.NOTIFICATION_SEND_TIME_LIMIT_SECONDS:
        errors.append(
            Error(
                "NOTIFICATION_CLAIM_TIMEOUT_SECONDS must exceed NOTIFICATION_SEND_TIME_LIMIT_SECONDS.",
                hint="A claim that expires while its worker may still be sending lets a second worker send a copy.",
                id="notifications.E002",
            )
        )
    return errors
