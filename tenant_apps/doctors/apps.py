from django.apps import AppConfig


class DoctorsConfig(AppConfig):
    name = "tenant_apps.doctors"
    label = "doctors"
