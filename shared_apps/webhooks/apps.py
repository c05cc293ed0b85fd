from django.apps import AppConfig
from django.core import checks


class WebhooksConfig(AppConfig):
    name = "shared_apps.webhooks"
    label = "webhooks"

    def ready(self):
        from shared_apps.webhooks import messages  # noqa: F401 - registers the emails' builders
        from shared_apps.webhooks.checks import attempt_fits_the_time_limit

        checks.register(attempt_fits_the_time_limit)
