"""Demo data for scripts/run: an approved hospital with its admin, a pending application and a patient.

Idempotent: running it again changes nothing. Passwords are for local development only and printed here.
"""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from shared_apps.accounts.models import Role, User
from shared_apps.accounts.services import patient_register
from shared_apps.common.links import platform_url, subdomain_url
from shared_apps.hospitals.models import Hospital
from shared_apps.hospitals.services import hospital_approve, hospital_register
from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.doctors.models import Doctor
from tenant_apps.doctors.services import availability_set, doctor_create

DEMO_DOCTORS = [
    ("Dr Ada Lovelace", "Cardiology", "120.00"),
    ("Dr Alan Turing", "Neurology", "150.00"),
    ("Dr Grace Hopper", "Pediatrics", "90.00"),
]
DEMO_PASSWORD = "demo-insecure-Passw0rd"  # noqa: S105 - local demo data only, printed to the developer


class Command(BaseCommand):
    help = "Load demo data (idempotent; refreshes the demo doctors' availability). Refuses to run with debug off."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Demo data is for development only (DJANGO_DEBUG is off).")
        with transaction.atomic():
            demo = self._hospital("Demo General Hospital", "demo", "DEMO-001", "admin@demo-hospital.example.com")
            self._hospital("Lakeside Clinic", "lakeside", "DEMO-002", "admin@lakeside.example.com")
            self._doctors(demo)
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
                timezone="Europe/London",
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

    def _doctors(self, hospital: Hospital) -> None:
        """Three doctors with two weeks of weekday availability (lunch blocked), from tomorrow."""
        admin = User.objects.get(email=hospital.email)
        tomorrow = timezone.now().astimezone(hospital.zone).date() + dt.timedelta(days=1)
        days = [tomorrow + dt.timedelta(days=n) for n in range(14)]
        with hospital_context(hospital):
            for name, specialization, fee in DEMO_DOCTORS:
                doctor = Doctor.objects.filter(name=name).first() or doctor_create(
                    actor=admin,
                    hospital=hospital,
                    name=name,
                    specialization=specialization,
                    fee=Decimal(fee),
                    email=name.lower().replace("dr ", "").replace(" ", ".") + "@demo-hospital.example.com",
                )
                windows = [
                    window
                    for day in days
                    if day.weekday() < 5
                    for window in (
                        {"date": day, "start_time": dt.time(9), "end_time": dt.time(17), "is_available": True},
                        {"date": day, "start_time": dt.time(12), "end_time": dt.time(13), "is_available": False},
                    )
                ]
                availability_set(actor=admin, hospital=hospital, doctor=doctor, windows=windows)

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
