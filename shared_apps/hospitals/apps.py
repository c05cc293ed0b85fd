from django.apps import AppConfig


class HospitalsConfig(AppConfig):
    name = "shared_apps.hospitals"
    label = "hospitals"
