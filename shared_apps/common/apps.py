from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "shared_apps.common"
    label = "common"

    def ready(self):
        from django.db.models import CharField
        from django.db.models.functions import Lower

        # `email__lower=value.lower()` compiles to LOWER(email) = ..., which the case-insensitive unique indexes
        # (UniqueConstraint(Lower(...))) serve; `__iexact` compiles to UPPER(...) and scans the table.
        CharField.register_lookup(Lower)
