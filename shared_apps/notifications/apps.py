from django.apps import AppConfig
from django.core import checks


class NotificationsConfig(AppConfig):
    name = "shared_apps.notifications"
    label = "notifications"

    def ready(self):
        from shared_apps.notifications.checks import claim_outlives_the_send

        checks.register(claim_outlives_the_send)
