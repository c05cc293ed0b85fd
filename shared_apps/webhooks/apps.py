from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "shared_apps.webhooks"
    label = "webhooks"

    def ready(self):
        from shared_apps.webhooks import messages  # noqa: F401 - registers the emails' builders
