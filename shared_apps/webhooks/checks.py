from django.conf import settings
from django.core.checks import Error


def attempt_fits_the_time_limit(app_configs=None, **kwargs) -> list[Error]:
    """An attempt ends after WEBHOOK_TIMEOUT_SECONDS; it must end well inside the send task's time limit, or the
    limit, not the timeout, decides how an attempt against a slow receiver ends."""
    from shared_apps.webhooks.tasks import SEND_TIME_LIMIT_SECONDS

    if 0 < settings.WEBHOOK_TIMEOUT_SECONDS <= SEND_TIME_LIMIT_SECONDS / 2:
        return []
    return [
        Error(
            f"WEBHOOK_TIMEOUT_SECONDS must be more than 0 and at most {SEND_TIME_LIMIT_SECONDS / 2:g}.",
            hint="It bounds a whole delivery attempt, which must end well inside the send task's time limit.",
            id="webhooks.E001",
        )
    ]
