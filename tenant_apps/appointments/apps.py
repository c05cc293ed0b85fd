from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "tenant_apps.appointments"
    label = "appointments"

    def ready(self):
        from tenant_apps.appointments import messages  # noqa: F401 - registers the email/SMS builders
