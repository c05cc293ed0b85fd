"""Demo data for scripts/run: an approved hospital with its admin, a pending application and a patient.

Idempotent: running it again changes nothing. Passwords are for local development only and printed here.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from shared_apps.accounts.models import Role, User
from shared_apps.accounts.services import patient_register
from shared_apps.common.links import platform_url, subdomain_url
from shared_apps.hospitals.models import Hospital
from shared_apps.hospitals.services import hospital_approve, hospital_register

DEMO_PASSWORD = "demo-insecure-Passw0rd"  # noqa: S105 - local demo data only, printed to the developer


class Command(BaseCommand):
    help = "Load demo data (idempotent). Refuses to run with DJANGO_DEBUG off."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Demo data is for development only (DJANGO_DEBUG is off).")
        with transaction.atomic():
            demo = self._hospital("Demo General Hospital", "demo", "DEMO-001", "admin@demo-hospital.example.com")
            self._hospital("Lakeside Clinic", "lakeside", "DEMO-002", "admin@lakeside.example.com")
            self._pending()
            self._patient()
        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in with password " + DEMO_PASSWORD + " as:"))
        self.stdout.write(f"  hospital admin  admin@demo-hospital.example.com   {subdomain_url(demo.slug, '/')}")
        self.stdout.write(f"  patient (API)   patient@example.com               {platform_url('/api/docs/')}")

    def _hospital(self, name, slug, registration_number, email) -> Hospital:
        hospital = Hospital.objects.filter(slug=slug).first()
        if hospital is None:
            hospital = hospital_register(
                actor=None,
                name=name,
                registration_number=registration_number,
                email=email,
                address="1 Demo Avenue",
                phone_number="+14155550100",
                city="Springfield",
                timezone_name="Europe/London",
                subdomain=slug,
            )
        if hospital.status == "pending":
            actor = User.objects.filter(role=Role.SUPERADMIN).first()
            hospital = hospital_approve(actor=actor, hospital=hospital)
        admin = User.objects.get(email=email)
        if not admin.has_usable_password():
            admin.set_password(DEMO_PASSWORD)
            admin.save(update_fields=["password"])
        return hospital

    def _pending(self) -> None:
        if not Hospital.objects.filter(slug="northside").exists():
            hospital_register(
                actor=None,
                name="Northside Medical Centre",
                registration_number="DEMO-003",
                email="admin@northside.example.com",
                address="9 North Road",
                phone_number="+14155550101",
                city="Shelbyville",
                subdomain="northside",
            )

    def _patient(self) -> None:
        if not User.objects.filter(email="patient@example.com").exists():
            patient_register(email="patient@example.com", password=DEMO_PASSWORD, name="Pat Demo", phone_number="")
