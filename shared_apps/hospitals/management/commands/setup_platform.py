import secrets

from django.conf import settings
from django.core.management.base import BaseCommand

from shared_apps.accounts.models import User
from shared_apps.hospitals.services import platform_ensure


class Command(BaseCommand):
    help = "Create the public tenant for BASE_DOMAIN and the first superadmin (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dev-superuser",
            action="store_true",
            help="Without DJANGO_SUPERUSER_EMAIL/PASSWORD, create admin@<BASE_DOMAIN> with a printed password.",
        )

    def handle(self, *args, **options):
        platform_ensure()
        self.stdout.write(f"Public tenant ready for {settings.BASE_DOMAIN}.")
        email, password = settings.DJANGO_SUPERUSER_EMAIL, settings.DJANGO_SUPERUSER_PASSWORD
        if not email and options["dev_superuser"]:
            email = f"admin@{settings.BASE_DOMAIN if '.' in settings.BASE_DOMAIN else 'example.com'}"
            if User.objects.filter(email__lower=email.lower()).exists():
                self.stdout.write(f"Superadmin {email} exists (password as printed when it was created).")
                return
            password = secrets.token_urlsafe(12)
        if not email:
            self.stdout.write("No DJANGO_SUPERUSER_EMAIL set: no superadmin created.")
            return
        if User.objects.filter(email__lower=email.lower()).exists():
            self.stdout.write(f"Superadmin {email} exists.")
            return
        User.objects.create_superuser(email=email, password=password, name="Platform admin")
        shown = password if options["dev_superuser"] and not settings.DJANGO_SUPERUSER_PASSWORD else "(from env)"
        self.stdout.write(self.style.SUCCESS(f"Superadmin created: {email} / {shown}"))
