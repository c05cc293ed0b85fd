from django.conf import settings
from django.core.management.base import BaseCommand

from shared_apps.hospitals.tenancy import schema_pool_fill


class Command(BaseCommand):
    help = "Clone the hospital template ahead of time so that approvals only rename a schema (run after migrate)."

    def add_arguments(self, parser):
        parser.add_argument("--size", type=int, default=settings.SCHEMA_POOL_SIZE)

    def handle(self, *args, **options):
        added = schema_pool_fill(options["size"])
        self.stdout.write(f"Schema pool: {added} clone(s) added.")
