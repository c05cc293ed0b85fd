from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "shared_apps.accounts"
    label = "accounts"

    def ready(self):
        from shared_apps.accounts import messages  # noqa: F401 - registers the email builders
