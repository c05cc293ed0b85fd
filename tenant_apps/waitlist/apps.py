from django.apps import AppConfig


class WaitlistConfig(AppConfig):
    name = "tenant_apps.waitlist"
    label = "waitlist"
    verbose_name = "Waitlist"

    def ready(self):
        from tenant_apps.waitlist import messages  # noqa: F401 - registers the email/SMS builders
