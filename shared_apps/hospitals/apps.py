from django.apps import AppConfig


class HospitalsConfig(AppConfig):
    name = "shared_apps.hospitals"
    label = "hospitals"

    def ready(self):
        from shared_apps.hospitals import messages  # noqa: F401 - registers the email builders
